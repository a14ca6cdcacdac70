"""ms-swift registration of our datasets (``swift sft --dataset NAME``)."""

from __future__ import annotations

from swift.dataset import DatasetMeta, register_dataset

from . import captions, grounding, kinetics, videoinstruct
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
    register_dataset(DatasetMeta(
        dataset_name=grounding.CHARADES_NAME,
        preprocess_func=grounding.GroundingPreprocessor(grounding.CHARADES_NAME, grounding.CHARADES_ENV),
        loader=env_path_loader(grounding.CHARADES_ENV, grounding.CHARADES_NAME, '/data/charades_sta_train.txt',
                               reader=grounding.read_charades_sta),
        tags=['video', 'grounding'],
        help='Charades-STA: set CHARADES_STA_PATH (vid start end##sentence lines) and VIDEO_ROOT.',
    ), exist_ok=True)
    register_dataset(DatasetMeta(
        dataset_name=grounding.ACTIVITYNET_NAME,
        preprocess_func=grounding.GroundingPreprocessor(grounding.ACTIVITYNET_NAME, grounding.ACTIVITYNET_ENV),
        loader=env_path_loader(grounding.ACTIVITYNET_ENV, grounding.ACTIVITYNET_NAME, '/data/activitynet/train.json',
                               reader=grounding.read_activitynet_captions),
        tags=['video', 'grounding'],
        help='ActivityNet Captions: set ACTIVITYNET_CAPTIONS_PATH (train.json / val_1.json) and VIDEO_ROOT.',
    ), exist_ok=True)
    register_dataset(DatasetMeta(
        dataset_name=captions.DATASET_NAME,
        preprocess_func=captions.VideoCaptionPreprocessor(),
        loader=env_path_loader(captions.PATH_ENV, captions.DATASET_NAME, '/data/cmd_annotations.json'),
        tags=['video', 'caption'],
        help='Video captions (CMD / WebVid / generic rows) with an instruction pool: set VIDEO_CAPTIONS_PATH, '
             'VIDEO_ROOT.',
    ), exist_ok=True)
    register_dataset(DatasetMeta(
        dataset_name=kinetics.DATASET_NAME,
        preprocess_func=kinetics.KineticsFramesPreprocessor(),
        loader=env_path_loader(kinetics.PATH_ENV, kinetics.DATASET_NAME, '/data/kinetic_3K.json'),
        tags=['video', 'action'],
        help='Frame-sequence rows (kinetic_3K.json format): set KINETICS_FRAMES_PATH and KINETICS_FRAMES_ROOT.',
    ), exist_ok=True)
