"""Shared pieces of our dataset preprocessors: video lookup by id, skip-and-count of rows with missing media."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from swift.dataset import DatasetLoader, RowPreprocessor

from ..logging_utils import get_logger

VIDEO_EXTENSIONS = ('.mp4', '.mkv', '.webm', '.avi', '.mov', '.m4v', '.flv', '.mpg', '.mpeg', '.ts', '.3gp')
VIDEO_ROOT_ENV = 'VIDEO_ROOT'
logger = get_logger()


class VideoIndex:
    """Finds ``<root>/<id>.<any video extension>`` (also under ``<root>/videos/``), scanning each folder once."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._paths: dict[str, Path] | None = None

    def _scan(self) -> dict[str, Path]:
        paths: dict[str, Path] = {}
        for folder in (self.root, self.root / 'videos'):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                stem, ext = os.path.splitext(entry.name)
                if ext.lower() in VIDEO_EXTENSIONS and entry.is_file():
                    paths.setdefault(stem, Path(entry.path))
        return paths

    def find(self, video_id: str) -> Path | None:
        if self._paths is None:
            self._paths = self._scan()
        return self._paths.get(str(video_id)) or self._paths.get(Path(str(video_id)).stem)


def video_root(annotation_path: str | os.PathLike | None = None) -> Path:
    """``$VIDEO_ROOT``, else the annotation file's folder."""
    root = os.environ.get(VIDEO_ROOT_ENV)
    if root:
        return Path(root).expanduser()
    if annotation_path is not None:
        return Path(annotation_path).resolve().parent
    return Path.cwd()


class SkippingPreprocessor(RowPreprocessor):
    """A row preprocessor that drops rows whose media is missing, counting them and naming the first few.

    Subclasses implement :meth:`row_problem` (None when the row is usable). The check runs over the whole dataset
    in the main process before ms-swift's (possibly multi-process) map, so the counts are exact; streaming datasets
    are checked row by row instead.
    """

    dataset_label = 'dataset'
    max_named = 10

    def row_problem(self, row: dict) -> tuple[str, str] | None:
        """``(reason, name)`` when the row cannot be used, else None."""
        return None

    def prepare_dataset(self, dataset):
        from datasets import Dataset as HfDataset

        if not isinstance(dataset, HfDataset):
            return dataset
        keep, problems = [], Counter()
        for index, row in enumerate(dataset):
            problem = self.row_problem(row)
            if problem is None:
                keep.append(index)
                continue
            reason, name = problem
            problems[reason] += 1
            if sum(problems.values()) <= self.max_named:
                logger.warning(f'{self.dataset_label}: skipping row {index}, {reason}: {name}')
        if problems:
            summary = ', '.join(f'{count} {reason}' for reason, count in problems.items())
            logger.warning(f'{self.dataset_label}: skipped {len(dataset) - len(keep)} of {len(dataset)} rows '
                           f'({summary}); {len(keep)} rows kept')
            dataset = dataset.select(keep)
        return dataset

    def preprocess(self, row: dict):
        problem = self.row_problem(row)  # streaming datasets were not pre-checked
        if problem is not None:
            logger.warning(f'{self.dataset_label}: skipping row, {problem[0]}: {problem[1]}')
            return None
        return self.format_row(row)

    def format_row(self, row: dict) -> dict | list[dict] | None:
        raise NotImplementedError


def env_path_loader(env_var: str, dataset_name: str, example: str, reader=None):
    """A DatasetLoader class reading the annotation file named by ``$env_var`` (clear error when unset).

    ``reader(path) -> list[dict]`` parses formats the ``datasets`` library cannot (plain-text lines, dict-of-dicts
    json); without it the file is loaded as json/jsonl/csv by ms-swift as usual.
    """

    class EnvPathLoader(DatasetLoader):
        def load(self, dataset_syntax=None, dataset_meta=None, *, use_hf=None):
            path = os.environ.get(env_var)
            if not path:
                raise ValueError(f'--dataset {dataset_name} reads its annotation file from ${env_var}; set it, e.g. '
                                 f'{env_var}={example}')
            if not os.path.isfile(path):
                raise FileNotFoundError(f'${env_var}={path}: file not found')
            path = os.path.abspath(path)
            if reader is None:
                return self._load_dataset_path(path, dataset_meta)
            from datasets import Dataset as HfDataset

            dataset = HfDataset.from_list(reader(path))
            dataset = dataset_meta.preprocess_func(dataset, num_proc=self.num_proc,
                                                   load_from_cache_file=self.load_from_cache_file,
                                                   strict=self.strict)
            return RowPreprocessor.remove_useless_columns(dataset) if self.remove_unused_columns else dataset

    EnvPathLoader.__name__ = f'EnvPathLoader_{dataset_name}'
    return EnvPathLoader
