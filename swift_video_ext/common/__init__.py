"""Helpers shared by the model folders: tiny tokenizers, checkpoint files, ms-swift template/loader bases."""
