"""ms-swift registration of our datasets (``swift sft --dataset NAME``)."""

from __future__ import annotations

from swift.dataset import DatasetMeta, register_dataset

from . import videoinstruct
from .base import env_path_loader


def register() -> None:
    register_dataset(DatasetMeta(
        dataset_name=videoinstruct.DATASET_NAME,
        preprocess_func=videoinstruct.VideoInstructPreprocessor(),
        loader=env_path_loader(videoinstruct.PATH_ENV, videoinstruct.DATASET_NAME,
                               '/data/VideoInstruct_Dataset.json'),
        tags=['video', 'instruction'],
        help='VideoInstruct-100K: set VIDEOINSTRUCT100K_PATH (the json) and VIDEO_ROOT (the videos).',
    ), exist_ok=True)
