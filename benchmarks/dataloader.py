"""Dataloader throughput (samples/s) per model type: uncached, and with the frame cache cold (epoch 1) and warm (2).

Each model type's real ms-swift template in training mode, with the released models' processor geometry (a stand-in
checkpoint: tiny layers, see ``swift-video plan``), encodes a synthesised dataset of distinct clips (default 12 x 60 s
854x480 at 30 fps, keyframe every 8 s, B-frames) through ms-swift's ``LazyLLMDataset`` and a torch ``DataLoader``
(batch 1, the template's collator), with 0 and 2 workers; samples/s is the steady rate (worker start-up, once per
epoch, left out). ``--resize`` adds the recommended decode-time resize (``VIDEO_SHORTEST_EDGE`` = the processor's
input size), which makes cache entries and the processor's work smaller. Target: the warm epoch >= 10x uncached.
    python benchmarks/dataloader.py [--clips 12] [--seconds 60] [--workers 0 2] [--resize] [--model-types ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import write_textured_clip  # noqa: E402
from report import machine, write_report  # noqa: E402

OUT = ROOT / 'bench_output'
# model type → (template, decode-time short side recommended for it: its processor's input size)
MODEL_TYPES = {
    'pllava': (None, 336),
    'cogvlm2_video_ts': (None, 224),
    'minigpt4_video': (None, 224),
    'gemma4': ('gemma4_frames_nothinking', None),  # Gemma-4 resizes to its soft-token budget itself
}
CACHE_ENV = 'SWIFT_VIDEO_CACHE_DIR'


def make_rows(clip_dir: Path, count: int, seconds: int, width: int, height: int) -> list[dict]:
    clips = [write_textured_clip(clip_dir / f'dl_{height}p_{seconds}s_{i}.mp4', seconds=seconds, width=width,
                                 height=height) for i in range(count)]
    return [{'messages': [{'role': 'user', 'content': '<video>What happens in this video?'},
                          {'role': 'assistant', 'content': 'A textured pattern drifts to the lower right.'}],
             'videos': [str(clip)]} for clip in clips]


def samples_per_s(template, rows: list[dict], workers: int) -> float:
    """Steady rate of one pass over ``rows`` (batch 1): samples after the first over the time since the first.

    Worker start-up (once per epoch, seconds on a small machine) is left out: a real epoch is long enough to hide it,
    these benchmark epochs are not.
    """
    import torch
    from swift.dataset import LazyLLMDataset

    dataset = LazyLLMDataset(rows, template.encode, strict=True)
    loader = torch.utils.data.DataLoader(dataset, batch_size=1, num_workers=workers,
                                         collate_fn=template.data_collator)
    arrivals = [time.perf_counter() for _ in loader]
    assert len(arrivals) == len(rows) >= 2
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def bench_model(model_type: str, rows: list[dict], workers_list: list[int], resize: bool, workdir: Path) -> list[dict]:
    from swift_video_ext.tools.loading import load_template

    template_type, short_side = MODEL_TYPES[model_type]
    if resize and short_side is None:
        return []
    if resize:
        os.environ['VIDEO_SHORTEST_EDGE'] = str(short_side)
    try:
        template = load_template(model_type, template_type=template_type, workdir=workdir).template
    finally:
        os.environ.pop('VIDEO_SHORTEST_EDGE', None)
    results = []
    for workers in workers_list:
        os.environ.pop(CACHE_ENV, None)
        uncached = samples_per_s(template, rows, workers)
        cache_dir = workdir / f'cache_{model_type}_{workers}_{int(resize)}'
        os.environ[CACHE_ENV] = str(cache_dir)  # read by the workers, which each epoch starts afresh
        try:
            cold = samples_per_s(template, rows, workers)
            warm = samples_per_s(template, rows, workers)
        finally:
            os.environ.pop(CACHE_ENV, None)
        entries = list(cache_dir.rglob('*.npz'))
        size = sum(e.stat().st_size for e in entries)
        shutil.rmtree(cache_dir, ignore_errors=True)
        results.append({
            'model_type': model_type, 'template': template.template_meta.template_type, 'workers': workers,
            'decode_resize': f'VIDEO_SHORTEST_EDGE={short_side}' if resize else 'none',
            'strategy': template.video_sampling.strategy_for(True),
            'frames': template.video_sampling.frame_count,
            'samples_per_s': {'uncached': round(uncached, 2), 'cached_epoch1': round(cold, 2),
                              'cached_epoch2': round(warm, 2)},
            'epoch2_speedup': round(warm / uncached, 1), 'target_met': warm / uncached >= 10,
            'cache_mib_per_video': round(size / 2**20 / len(rows), 1)})
        print(json.dumps(results[-1]), flush=True)
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model-types', nargs='+', default=list(MODEL_TYPES), choices=list(MODEL_TYPES))
    parser.add_argument('--clips', type=int, default=12, help='distinct clips = samples per epoch')
    parser.add_argument('--seconds', type=int, default=60)
    parser.add_argument('--size', default='854x480', help='WIDTHxHEIGHT')
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--resize', action='store_true', help='also run with the recommended decode-time resize')
    parser.add_argument('--clip-dir', default=str(OUT / 'clips'))
    parser.add_argument('--output', default=str(OUT / 'dataloader.json'))
    args = parser.parse_args(argv)
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    width, height = (int(v) for v in args.size.split('x'))
    rows = make_rows(Path(args.clip_dir), args.clips, args.seconds, width, height)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for model_type in args.model_types:
            for resize in (False, True) if args.resize else (False,):
                results += bench_model(model_type, rows, args.workers, resize, Path(workdir))
    return write_report({**machine(), 'clips': f'{args.clips} x {args.seconds} s {args.size}', 'rows': results,
                         'all_targets_met': all(r['target_met'] for r in results)}, args.output)


if __name__ == '__main__':
    main()
