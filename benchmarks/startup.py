"""Start-up cost of the command line and the video core (targets: ``swift-video --help`` <= 0.5 s, ``import
swift_video_ext.video`` <= 0.3 s, a dataloader worker imports no model code).

Method: each figure is the median of ``--runs`` fresh interpreters (page cache warm after a first discarded run).
``swift-video --help``: wall time of the console script, interpreter start included. ``import
swift_video_ext.video``: time of that import statement in a fresh interpreter (``perf_counter`` around it; the
interpreter's own start-up, ``python -c pass``, is reported separately). Dataloader worker: a torch ``DataLoader``
with 2 ``spawn`` workers whose dataset samples 4 frames per clip with the video core; each worker reports which of
torch / transformers / ms-swift / our model packages it has imported and how long its imports took (torch is there
because ``DataLoader`` workers are torch processes; what must be absent is transformers, ms-swift and our models).
``--pythonpath DIR`` measures another checkout (e.g. the code before the change).

    python benchmarks/startup.py [--runs 7] [--pythonpath DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, write_report  # noqa: E402

OUT = ROOT / 'bench_output'
HEAVY = ('transformers', 'swift', 'swift_video_ext.models', 'torch')
IMPORT_PROBE = 'import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)'


def _env(pythonpath: str | None) -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE='1')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (pythonpath or str(ROOT), env.get('PYTHONPATH')) if p)
    return env


def wall_seconds(command: list[str], env: dict, runs: int) -> float:
    """Median wall time of ``command`` over ``runs`` runs (one discarded warm-up)."""
    times = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True, cwd=tempfile.gettempdir())
        if i:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_seconds(module: str, env: dict, runs: int) -> float:
    command = [sys.executable, '-c', IMPORT_PROBE.format(module=module)]
    times = [float(subprocess.run(command, env=env, capture_output=True, text=True, check=True,
                                  cwd=tempfile.gettempdir()).stdout) for _ in range(runs + 1)]
    return statistics.median(times[1:])


class ClipFrames:
    """Map-style dataset: 4 uniform frames of one clip per item (what a video dataloader worker does)."""

    def __init__(self, clips: list[str]):
        self.clips = clips

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict:
        started = time.perf_counter()
        from swift_video_ext.video import sample_video

        imported = time.perf_counter() - started
        frames = sample_video(self.clips[index], 'uniform', num_frames=4).frames
        return {'shape': list(frames.shape), 'pid': os.getpid(), 'import_s': imported,
                'heavy': sorted(m for m in HEAVY if m in sys.modules)}


def worker_report(clips: list[str]) -> list[dict]:
    """One item per clip from 2 spawn workers: which heavy modules each worker had, and its import time."""
    import torch

    loader = torch.utils.data.DataLoader(ClipFrames(clips), batch_size=None, num_workers=2,
                                         multiprocessing_context='spawn')
    return list(loader)


def write_clips(folder: Path, count: int) -> list[str]:
    from swift_video_ext.video.synthetic import write_counter_clip

    return [str(write_counter_clip(folder / f'clip{i}.mp4', num_frames=48, fps=12)) for i in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=7)
    parser.add_argument('--pythonpath', help='checkout to measure (default: this one)')
    parser.add_argument('--output', default=str(OUT / 'startup.json'))
    args = parser.parse_args(argv)
    env = _env(args.pythonpath)
    console = str(Path(sys.executable).parent / 'swift-video')
    rows = [
        {'what': 'python -c pass', 'seconds': wall_seconds([sys.executable, '-c', 'pass'], env, args.runs)},
        {'what': 'swift-video --help', 'seconds': wall_seconds([console, '--help'], env, args.runs), 'target': 0.5},
        {'what': 'import swift_video_ext.video', 'seconds': import_seconds('swift_video_ext.video', env, args.runs),
         'target': 0.3},
        {'what': 'import numpy (part of the line above)', 'seconds': import_seconds('numpy', env, args.runs)},
    ]
    for row in rows:
        row['seconds'] = round(row['seconds'], 3)
        if 'target' in row:
            row['met'] = row['seconds'] <= row['target']
    os.environ['PYTHONPATH'] = env['PYTHONPATH']  # the spawn workers
    sys.path.insert(0, env['PYTHONPATH'].split(os.pathsep)[0])
    with tempfile.TemporaryDirectory() as folder:
        items = worker_report(write_clips(Path(folder), 4))
    heavy = sorted({m for item in items for m in item['heavy']})
    rows.append({'what': 'dataloader worker (spawn)', 'workers': len({i['pid'] for i in items}),
                 'heavy_modules': heavy, 'model_code_imported': any(m != 'torch' for m in heavy),
                 'video_core_import_s': round(max(i['import_s'] for i in items), 3)})
    report = {**machine(), 'load_average_1min': round(os.getloadavg()[0], 2),
              'pythonpath': env['PYTHONPATH'].split(os.pathsep)[0], 'runs': args.runs, 'rows': rows,
              'summary': {r['what']: r.get('seconds', r.get('heavy_modules')) for r in rows}}
    write_report(report, args.output)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
