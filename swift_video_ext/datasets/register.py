"""ms-swift registration of our datasets (``swift sft --dataset NAME``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from swift.dataset import DatasetMeta, register_dataset

from . import captions, grounding, kinetics, videoinstruct
from .base import env_path_loader


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset read from the annotation file named by ``$path_env``."""

    name: str
    preprocessor: Callable[[], object]  # builds the row preprocessor (a fresh one per registration)
    path_env: str
    example_path: str  # shown in the error when ``$path_env`` is unset
    tags: tuple[str, ...]
    help: str
    reader: Callable | None = None  # parses formats the ``datasets`` library cannot (see env_path_loader)


DATASETS = (
    DatasetSpec(videoinstruct.DATASET_NAME, videoinstruct.VideoInstructPreprocessor, videoinstruct.PATH_ENV,
                '/data/VideoInstruct_Dataset.json', ('video', 'instruction'),
                'VideoInstruct-100K: set VIDEOINSTRUCT100K_PATH (the json) and VIDEO_ROOT (the videos).'),
    DatasetSpec(grounding.CHARADES_NAME,
                lambda: grounding.GroundingPreprocessor(grounding.CHARADES_NAME, grounding.CHARADES_ENV),
                grounding.CHARADES_ENV, '/data/charades_sta_train.txt', ('video', 'grounding'),
                'Charades-STA: set CHARADES_STA_PATH (vid start end##sentence lines) and VIDEO_ROOT.',
                reader=grounding.read_charades_sta),
    DatasetSpec(grounding.ACTIVITYNET_NAME,
                lambda: grounding.GroundingPreprocessor(grounding.ACTIVITYNET_NAME, grounding.ACTIVITYNET_ENV),
                grounding.ACTIVITYNET_ENV, '/data/activitynet/train.json', ('video', 'grounding'),
                'ActivityNet Captions: set ACTIVITYNET_CAPTIONS_PATH (train.json / val_1.json) and VIDEO_ROOT.',
                reader=grounding.read_activitynet_captions),
    DatasetSpec(captions.DATASET_NAME, captions.VideoCaptionPreprocessor, captions.PATH_ENV,
                '/data/cmd_annotations.json', ('video', 'caption'),
                'Video captions (CMD / WebVid / generic rows) with an instruction pool: set VIDEO_CAPTIONS_PATH, '
                'VIDEO_ROOT.'),
    DatasetSpec(kinetics.DATASET_NAME, kinetics.KineticsFramesPreprocessor, kinetics.PATH_ENV,
                '/data/kinetic_3K.json', ('video', 'action'),
                'Frame-sequence rows (kinetic_3K.json format): set KINETICS_FRAMES_PATH and KINETICS_FRAMES_ROOT.'),
)


def dataset_meta(spec: DatasetSpec) -> DatasetMeta:
    return DatasetMeta(dataset_name=spec.name, preprocess_func=spec.preprocessor(),
                       loader=env_path_loader(spec.path_env, spec.name, spec.example_path, reader=spec.reader),
                       tags=list(spec.tags), help=spec.help)


def register() -> None:
    for spec in DATASETS:
        register_dataset(dataset_meta(spec), exist_ok=True)
