"""LoRA training samples/s and peak memory of every model type at full size (random weights), through `swift sft`.

For each model type: a full-size random checkpoint is written (built on the GPU in bf16, no download), a synthesised
dataset (moving-texture clips; 4-frame image rows for Gemma-4's recipe) is prepared and its frames cached
(``swift-video cache``), and the model's recommended recipe — the script in ``examples/`` — runs unchanged except
for the run length and logging (``--max_steps``, ``--logging_steps 1``, ``--save_strategy no``). Samples/s is the
steady state (steps after ``--warmup``, from ms-swift's per-step timing); peak memory is ms-swift's
``memory(GiB)`` (max reserved). ``--zero2`` adds multi-process DeepSpeed ZeRO-2 runs of the recipes that have a
ZeRO-2 variant, with ``NPROC_PER_NODE`` = the GPUs present (``--nproc``).

    python benchmarks/gpu_train.py [--model-types ...] [--steps 12] [--warmup 4] [--zero2] [--markdown FILE]
    python benchmarks/gpu_train.py --tiny --cpu --steps 2 --warmup 1     # the same path on tiny checkpoints (CI)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import write_textured_clip  # noqa: E402

OUT = ROOT / 'bench_output' / 'gpu_train'
RECIPES = {  # model type → (recipe, its ZeRO-2 variant or None, dataset kind)
    'pllava': ('examples/pllava/sft_lora.sh', 'examples/pllava/sft_lora_zero2.sh', 'videos'),
    'cogvlm2_video_ts': ('examples/cogvlm2_video/sft_lora.sh', 'examples/cogvlm2_video/sft_lora_zero2.sh', 'videos'),
    'minigpt4_video': ('examples/minigpt4_video/stage3_video_qa.sh', None, 'videos'),
    'gemma4': ('examples/gemma4_kinetics/sft_lora.sh', None, 'frames'),  # the recipe itself is ZeRO-2
}
CPU_OVERRIDES = ['--torch_dtype', 'float32', '--fp16', 'false', '--bf16', 'false', '--gradient_checkpointing',
                 'false', '--dataloader_num_workers', '0', '--gradient_accumulation_steps', '1',
                 '--deepspeed', '', '--optim', 'adamw_torch']  # no DeepSpeed / bitsandbytes on CPU


def build_checkpoint(model_type: str, output: Path, tiny: bool, device: str) -> Path:
    from swift_video_ext.models import cogvlm2_video, gemma4, minigpt4_video, pllava

    packages = {'pllava': pllava, 'cogvlm2_video_ts': cogvlm2_video, 'minigpt4_video': minigpt4_video,
                'gemma4': gemma4}
    module = __import__(f'{packages[model_type].__name__}.tiny', fromlist=['build_tiny'])
    if tiny:
        return module.build_tiny(output)
    return module.build_full_size(output, device=device)


def video_rows(work: Path, count: int, seconds: int) -> Path:
    clips = [write_textured_clip(work / 'clips' / f'clip_{i}.mp4', seconds=seconds, width=640, height=360)
             for i in range(count)]
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens in this video?'},
                          {'role': 'assistant', 'content': 'A textured pattern drifts slowly to the lower right '
                                                           'while a counter in the top band increases.'}],
             'videos': [str(clip)]} for clip in clips]
    path = work / 'video_rows.jsonl'
    path.write_text(''.join(json.dumps(row) + '\n' for row in rows))
    return path


def frame_rows(work: Path, count: int, seconds: int) -> Path:
    """Kinetics-style 4-frame rows (``swift-video extract-frames``) for Gemma-4's recipe; returns the folder."""
    from swift_video_ext.datasets.extract_frames import extract_frames, jobs_from_folder

    labelled = work / 'labelled'
    for i in range(count):
        clip = write_textured_clip(work / 'clips' / f'clip_{i}.mp4', seconds=seconds, width=640, height=360)
        target = labelled / ('drifting texture' if i % 2 else 'counting up') / clip.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(clip)
    frames = work / 'frames'
    extract_frames(jobs_from_folder(labelled), frames, num_frames=4, progress=False)
    return frames


def fill_frame_cache(model_type: str, model_dir: Path, dataset: Path, cache_dir: Path) -> None:
    from swift_video_ext.tools.fill_cache import dataset_videos, fill_cache
    from swift_video_ext.tools.loading import load_rows, load_template

    os.environ['SWIFT_VIDEO_CACHE_DIR'] = str(cache_dir)
    try:
        template = load_template(model_type, model_dir=str(model_dir)).template
        fill_cache(dataset_videos(load_rows([str(dataset)])), template.video_sampling, workers=4, progress=False)
    finally:
        os.environ.pop('SWIFT_VIDEO_CACHE_DIR', None)


def steady_samples_per_s(records: list[dict], warmup: int, samples_per_step: int) -> float | None:
    """From ms-swift's cumulative ``train_speed(s/it)`` = elapsed / steps: the rate after ``warmup`` steps."""
    steps = [(int(r['global_step/max_steps'].split('/')[0]), r['train_speed(s/it)']) for r in records
             if 'train_speed(s/it)' in r and 'loss' in r]
    if not steps:
        return None
    first = next(((n, s) for n, s in steps if n >= warmup), steps[0])
    last = steps[-1]
    if last[0] == first[0]:
        elapsed, count = last[0] * last[1], last[0]
    else:
        elapsed, count = last[0] * last[1] - first[0] * first[1], last[0] - first[0]
    return round(count * samples_per_step / elapsed, 3) if elapsed > 0 else None


def read_metrics(output: Path, warmup: int, world_size: int) -> dict:
    (run_dir,) = [p for p in output.glob('v*') if p.is_dir()][-1:]
    records = [json.loads(line) for line in (run_dir / 'logging.jsonl').read_text().splitlines() if line.strip()]
    args = json.loads((run_dir / 'args.json').read_text())
    per_step = args['per_device_train_batch_size'] * args['gradient_accumulation_steps'] * world_size
    memory = [r['memory(GiB)'] for r in records if 'memory(GiB)' in r]
    return {'samples_per_s': steady_samples_per_s(records, warmup, per_step), 'samples_per_step': per_step,
            'peak_memory_gib': max(memory) if memory else None,
            'final_loss': next((r['loss'] for r in reversed(records) if 'loss' in r), None)}


def run_recipe(recipe: str, env: dict, extra: list[str], log: Path) -> None:
    result = subprocess.run(['bash', str(ROOT / recipe), *extra], env=env, cwd=ROOT, capture_output=True, text=True)
    log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f'{recipe} failed ({result.returncode}); see {log}:\n{result.stderr[-3000:]}')


def bench(model_type: str, args, work: Path) -> list[dict]:
    recipe, zero2_recipe, data_kind = RECIPES[model_type]
    model_dir = build_checkpoint(model_type, work / f'{model_type}_model', args.tiny, args.device)
    cache_dir = work / f'{model_type}_cache'
    # the recipes call `swift`: find it beside this interpreter even when the virtualenv is not activated
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get('PATH', '')])
    env = {**os.environ, 'PATH': path, 'MODEL': str(model_dir), 'HF_HUB_OFFLINE': '1',
           'SWIFT_VIDEO_CACHE_DIR': str(cache_dir)}
    extra = ['--max_steps', str(args.steps), '--logging_steps', '1', '--save_strategy', 'no', '--report_to', 'none']
    if data_kind == 'videos':
        dataset = video_rows(work, args.clips, args.seconds)
        fill_frame_cache(model_type, model_dir, dataset, cache_dir)
        env['DATASET'] = str(dataset)
        extra += ['--dataset', str(dataset)]  # recipes with a fixed --dataset take the last one given
    else:
        env['FRAMES'] = str(frame_rows(work, args.clips, args.seconds))
    if args.cpu:
        extra += CPU_OVERRIDES
    runs = [('1 GPU' if not args.cpu else 'CPU', recipe, 1)]
    if args.zero2 and zero2_recipe:
        runs.append((f'ZeRO-2, {args.nproc} processes', zero2_recipe, args.nproc))
    results = []
    for label, script, nproc in runs:
        output = work / f'{model_type}_out_{nproc}_{Path(script).stem}'
        shutil.rmtree(output, ignore_errors=True)
        run_env = {**env, 'OUTPUT': str(output), 'NPROC_PER_NODE': str(nproc)}
        if nproc == 1 and script == recipe and model_type != 'gemma4':
            run_env.pop('NPROC_PER_NODE')
        run_recipe(script, run_env, extra, work / f'{model_type}_{nproc}.log')
        result = {'model_type': model_type, 'run': label, 'recipe': script, 'tiny': args.tiny,
                  **read_metrics(output, args.warmup, nproc)}
        print(json.dumps(result), flush=True)
        results.append(result)
    if not args.keep:
        shutil.rmtree(model_dir, ignore_errors=True)
    return results


def device_name(cpu: bool) -> str:
    if cpu:
        return 'CPU'
    import torch

    return f'{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}'


def markdown(results: list[dict], device: str) -> str:
    date = datetime.date.today().isoformat()
    lines = ['| date | device | model type | run | samples/s | peak memory (GiB) | samples/step | recipe |',
             '|---|---|---|---|---|---|---|---|']
    for r in results:
        lines.append(f"| {date} | {device} | {r['model_type']}{' (tiny)' if r['tiny'] else ''} | {r['run']} | "
                     f"{r['samples_per_s']} | {r['peak_memory_gib']} | {r['samples_per_step']} | `{r['recipe']}` |")
    return '\n'.join(lines) + '\n'


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model-types', nargs='+', default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument('--steps', type=int, default=12, help='optimizer steps per run')
    parser.add_argument('--warmup', type=int, default=4, help='steps left out of samples/s')
    parser.add_argument('--clips', type=int, default=16)
    parser.add_argument('--seconds', type=int, default=20)
    parser.add_argument('--zero2', action='store_true', help='also run the ZeRO-2 recipes with NPROC_PER_NODE')
    parser.add_argument('--nproc', type=int, help='processes for --zero2 (default: the GPUs present)')
    parser.add_argument('--tiny', action='store_true', help='tiny checkpoints (a smoke run of the same path)')
    parser.add_argument('--cpu', action='store_true', help='fp32 on CPU (with --tiny)')
    parser.add_argument('--keep', action='store_true', help='keep the random checkpoints')
    parser.add_argument('--work-dir', default=str(OUT))
    parser.add_argument('--markdown', help='append a table of the results to this file')
    args = parser.parse_args(argv)
    args.device = 'cpu' if args.cpu else 'cuda'
    if args.nproc is None:
        import torch

        args.nproc = max(1, torch.cuda.device_count()) if not args.cpu else 1
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for model_type in args.model_types:
        results += bench(model_type, args, work)
    if args.markdown:
        with open(args.markdown, 'a', encoding='utf-8') as f:
            f.write(markdown(results, device_name(args.cpu)))
    return results


if __name__ == '__main__':
    main()

