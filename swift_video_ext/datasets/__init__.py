"""Dataset preprocessors for common video datasets, registered with ms-swift (``swift sft --dataset NAME``)."""
