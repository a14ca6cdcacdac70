"""``swift-video extract-frames``: sample N frames per clip into ``frames/<clip_id>/frame_k.jpg`` plus the json rows.

Sources: a folder of clips (the label is each clip's parent folder, Kinetics-style ``<label>/<clip>.mp4``), a
``path label`` list, or the Kinetics CSV (``label,youtube_id,time_start,time_end,split``; the trimmed clip
``<youtube_id>_<start:06d>_<end:06d>.<ext>`` is used whole, a full ``<youtube_id>.<ext>`` is sampled within the
labelled window). Any strategy of the video core picks the frames. Clips are processed by parallel workers with a
progress bar; a clip whose ``.done`` marker exists is skipped (resumable); a failing clip is logged to
``failures.tsv`` and counted, never fatal. The held-out split is the CSV's ``split`` column when there is one, else a
stable hash of the clip id (``val_ratio``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..logging_utils import get_logger
from .base import VIDEO_EXTENSIONS
from .kinetics import QUESTION, frames_row, video_row, write_json

HELD_OUT_SPLITS = {'val', 'valid', 'validate', 'validation', 'test'}
logger = get_logger()


@dataclass(frozen=True)
class ClipJob:
    clip_id: str
    source: str
    label: str | None
    start: float | None = None  # seconds
    end: float | None = None  # seconds
    split: str | None = None


def _video_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob('*') if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file())


def jobs_from_folder(root: str | os.PathLike) -> list[ClipJob]:
    root = Path(root)
    jobs = []
    for path in _video_files(root):
        label = path.parent.name if path.parent != root else None
        jobs.append(ClipJob(path.stem, str(path), label.replace('_', ' ') if label else None))
    return jobs


def jobs_from_list(list_file: str | os.PathLike, root: str | os.PathLike | None = None) -> list[ClipJob]:
    """Lines ``<path> <label words…>``; relative paths are under ``root`` (default: the list's folder)."""
    list_file = Path(list_file)
    root = Path(root) if root else list_file.parent
    jobs = []
    for number, line in enumerate(list_file.read_text(encoding='utf-8').splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f'{list_file}:{number}: expected "<path> <label>", got {line!r}')
        path = Path(parts[0]) if os.path.isabs(parts[0]) else root / parts[0]
        jobs.append(ClipJob(path.stem, str(path), parts[1].strip()))
    return jobs


def jobs_from_kinetics_csv(csv_file: str | os.PathLike, video_root: str | os.PathLike) -> list[ClipJob]:
    """Rows of the Kinetics annotation CSV; a missing video still becomes a job (it fails and is counted)."""
    by_stem = {p.stem: p for p in _video_files(Path(video_root))}
    jobs = []
    with open(csv_file, newline='', encoding='utf-8') as f:
        for number, row in enumerate(csv.DictReader(f), start=2):
            try:
                youtube_id, start, end = row['youtube_id'], float(row['time_start']), float(row['time_end'])
                label = row['label']
            except (KeyError, TypeError, ValueError):
                raise ValueError(f'{csv_file}:{number}: expected label,youtube_id,time_start,time_end,split; got '
                                 f'{row}') from None
            clip_id = f'{youtube_id}_{int(start):06d}_{int(end):06d}'
            if clip_id in by_stem:  # already trimmed to the labelled window
                jobs.append(ClipJob(clip_id, str(by_stem[clip_id]), label, split=row.get('split')))
            else:
                source = by_stem.get(youtube_id, Path(video_root) / f'{youtube_id}.mp4')
                jobs.append(ClipJob(clip_id, str(source), label, start, end, row.get('split')))
    return jobs


def extract_clip(job: ClipJob, out_dir: str, strategy: str, params: dict, quality: int,
                 shortest_edge: int | None) -> dict:
    """Worker: sample one clip and write its frames, ``timestamps.json`` and the ``.done`` marker."""
    from PIL import Image

    from ..video import sample_video

    folder = Path(out_dir) / 'frames' / job.clip_id
    done = folder / '.done'
    if done.is_file():
        meta = json.loads((folder / 'meta.json').read_text())
        return {'clip_id': job.clip_id, 'status': 'skipped', **meta}
    try:
        video = sample_video(job.source, strategy, start=job.start, end=job.end, shortest_edge=shortest_edge,
                             **params)
        folder.mkdir(parents=True, exist_ok=True)
        frames = []
        for k, frame in enumerate(video.frames, start=1):
            Image.fromarray(frame).save(folder / f'frame_{k}.jpg', quality=quality)
            frames.append(f'frames/{job.clip_id}/frame_{k}.jpg')
        timestamps = [round(float(t), 4) for t in video.timestamps]
        (folder / 'timestamps.json').write_text(json.dumps(timestamps))
        meta = {'frames': frames, 'timestamps': timestamps, 'indices': video.indices.tolist()}
        (folder / 'meta.json').write_text(json.dumps(meta))
        done.touch()
        return {'clip_id': job.clip_id, 'status': 'done', **meta}
    except Exception as error:  # never fatal: logged and counted by the caller
        return {'clip_id': job.clip_id, 'status': 'failed', 'error': f'{type(error).__name__}: {error}'}


def is_held_out(job: ClipJob, val_ratio: float) -> bool:
    if job.split:
        return job.split.strip().lower() in HELD_OUT_SPLITS
    digest = int(hashlib.sha1(job.clip_id.encode()).hexdigest()[:8], 16)
    return digest % 10_000 < val_ratio * 10_000


def extract_frames(jobs: Sequence[ClipJob], out_dir: str | os.PathLike, *, num_frames: int = 4,
                   strategy: str = 'uniform', strategy_params: dict | None = None, workers: int = 1,
                   val_ratio: float = 0.0, as_video: bool = False, question: str = QUESTION,
                   answer_template: str = '{label}', name: str = 'kinetics_frames', quality: int = 95,
                   shortest_edge: int | None = None, progress: bool = True) -> dict:
    """Run the jobs and write ``<name>_train.json`` / ``<name>_val.json`` (and ``<name>_video_*.json``)."""
    from tqdm import tqdm

    out_dir = Path(out_dir)
    (out_dir / 'frames').mkdir(parents=True, exist_ok=True)
    ids = [job.clip_id for job in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError('clip ids must be unique; duplicated: '
                         f'{sorted({i for i in ids if ids.count(i) > 1})[:10]}')
    params = {'num_frames': num_frames, **(strategy_params or {})}
    results: dict[str, dict] = {}
    bar = tqdm(total=len(jobs), desc='extract-frames', disable=not progress)
    if workers > 1:
        # spawned workers: a process forked from one that has run FFmpeg's threads can crash inside PyAV
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context('spawn')) as pool:
            futures = [pool.submit(extract_clip, job, str(out_dir), strategy, params, quality, shortest_edge)
                       for job in jobs]
            for future in as_completed(futures):
                result = future.result()
                results[result['clip_id']] = result
                bar.update()
    else:
        for job in jobs:
            result = extract_clip(job, str(out_dir), strategy, params, quality, shortest_edge)
            results[result['clip_id']] = result
            bar.update()
    bar.close()
    failures = [(job, results[job.clip_id]['error']) for job in jobs if results[job.clip_id]['status'] == 'failed']
    with open(out_dir / 'failures.tsv', 'w', encoding='utf-8') as f:
        f.write('clip_id\tsource\treason\n')
        for job, error in failures:
            f.write(f'{job.clip_id}\t{job.source}\t{error}\n')
    for job, error in failures[:10]:
        logger.warning(f'extract-frames: {job.clip_id} ({job.source}) failed: {error}')
    splits: dict[str, list[dict]] = {'train': [], 'val': []}
    video_splits: dict[str, list[dict]] = {'train': [], 'val': []}
    unlabelled = 0
    for job in jobs:
        result = results[job.clip_id]
        if result['status'] == 'failed':
            continue
        if not job.label:
            unlabelled += 1
            continue
        answer = answer_template.format(label=job.label)
        split = 'val' if is_held_out(job, val_ratio) else 'train'
        splits[split].append(frames_row(result['frames'], answer, question))
        video_splits[split].append(video_row(f'frames/{job.clip_id}', answer, question))
    written = {}
    for split, rows in splits.items():
        if rows or split == 'train':
            written[split] = out_dir / f'{name}_{split}.json'
            write_json(written[split], rows)
            if as_video:
                write_json(out_dir / f'{name}_video_{split}.json', video_splits[split])
    labels = sorted({job.label for job in jobs if job.label})
    (out_dir / 'labels.txt').write_text(''.join(f'{label}\n' for label in labels), encoding='utf-8')
    counts = {status: sum(r['status'] == status for r in results.values()) for status in ('done', 'skipped', 'failed')}
    summary = {'clips': len(jobs), **counts, 'unlabelled': unlabelled, 'train_rows': len(splits['train']),
               'val_rows': len(splits['val']), 'files': {k: str(v) for k, v in written.items()}}
    (out_dir / 'summary.json').write_text(json.dumps(summary, indent=1))
    return summary


__all__ = ['ClipJob', 'extract_frames', 'jobs_from_folder', 'jobs_from_kinetics_csv', 'jobs_from_list']
