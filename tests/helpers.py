"""Helpers for tests that run the real `swift` / `swift-video` commands on tiny checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
CPU_TRAIN_ARGS = [
    '--check_model', 'false', '--report_to', 'none', '--torch_dtype', 'float32', '--fp16', 'false', '--bf16', 'false',
    '--gradient_checkpointing', 'false', '--gradient_accumulation_steps', '1', '--dataloader_num_workers', '0',
    '--max_length', '4096', '--seed', '42',
]


def load_swift_dataset(name: str, **kwargs):
    """ms-swift's ``load_dataset`` in this process, without the worker pool.

    ``datasets`` maps with a forked ``Pool`` even for ``num_proc=1``; forked from a pytest process that captures output,
    the worker can deadlock (seen in CI: a hang, not a failure). ``num_proc=None`` runs the same preprocessing in
    process; the forked path is what the end-to-end ``swift sft`` tests run.
    """
    from swift.dataset import load_dataset

    import swift_video_ext.plugin  # noqa: F401  (registers our datasets)

    kwargs.setdefault('num_proc', None)
    kwargs.setdefault('load_from_cache_file', False)
    return load_dataset(name, **kwargs)


def command_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1',
                'TOKENIZERS_PARALLELISM': 'false', 'PYTHONUNBUFFERED': '1'})
    env.pop('NPROC_PER_NODE', None)
    env.update(extra)
    return env


def run(command: list[str], *, env: dict | None = None, cwd: str | Path | None = None,
        timeout: int = 900, check: bool = True) -> subprocess.CompletedProcess:
    """Run a console script of this environment (``swift``, ``swift-video``) and capture its output."""
    executable = str(BIN / command[0])
    result = subprocess.run([executable, *command[1:]], env=env or command_env(), cwd=cwd, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'{" ".join(command[:2])} failed ({result.returncode}):\n'
                             f'{result.stdout[-4000:]}\n{result.stderr[-6000:]}')
    return result


def last_checkpoint(output_dir: str | Path) -> Path:
    checkpoints = sorted(Path(output_dir).glob('v*/checkpoint-*'), key=lambda p: int(p.name.split('-')[-1]))
    checkpoints = [c for c in checkpoints if not c.name.endswith('-merged')]
    assert checkpoints, f'no checkpoint under {output_dir}'
    return checkpoints[-1]


def logged_losses(output_dir: str | Path) -> list[float]:
    (log,) = Path(output_dir).glob('v*/logging.jsonl')
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r['loss'] for r in records if 'loss' in r]


def infer_results(result_dir: str | Path) -> list[dict]:
    files = sorted(Path(result_dir).glob('infer_result/*.jsonl'))
    assert files, f'no infer_result under {result_dir}'
    return [json.loads(line) for line in files[-1].read_text().splitlines() if line.strip()]


def write_jsonl(path: str | Path, rows: list[dict]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(row) + '\n' for row in rows))
    return path


def merged_vs_adapter_max_diff(model_class, base_dir, adapter_dir, merged_dir, rows: list[dict]) -> float:
    """Max |logit| difference between base+adapter (PEFT) and the merged export on template-encoded rows."""
    import torch
    from peft import PeftModel
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    template = get_template(get_processor(str(merged_dir)))
    template.set_mode('transformers')
    batch = template.data_collator([template.encode(row) for row in rows])
    base = model_class.from_pretrained(base_dir, dtype=torch.float32)
    adapter_model = PeftModel.from_pretrained(base, str(adapter_dir)).eval()
    merged_model = model_class.from_pretrained(merged_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        want = adapter_model(**batch).logits
        got = merged_model(**batch).logits
    return (got - want).abs().max().item()


def write_solid_clip(path: str | Path, colour: tuple[int, int, int], *, num_frames: int = 30, fps: int = 10,
                     width: int = 160, height: int = 96) -> Path:
    """A one-colour H.264 clip (RGB ``colour``): clips the overfit end-to-end tests tell apart by pixels alone."""
    import av
    import numpy as np

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((height, width, 3), colour, dtype=np.uint8)
    with av.open(str(path), mode='w') as container:
        stream = container.add_stream('libx264', rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, 'yuv420p'
        for _ in range(num_frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format='rgb24')))
        container.mux(stream.encode())
    return path


def write_black_clip(path: str | Path, *, num_frames: int = 30, fps: int = 10, width: int = 160,
                     height: int = 96) -> Path:
    """An all-black H.264 clip: the "frames blanked" control of the overfit end-to-end tests."""
    return write_solid_clip(path, (0, 0, 0), num_frames=num_frames, fps=fps, width=width, height=height)


OVERFIT_QUESTION = '<video>What is in the video?'


def write_overfit_rows(folder: str | Path, clips: dict[str, tuple[tuple[int, int, int], str]], *, num_frames: int,
                       fps: int) -> tuple[list[dict], Path]:
    """Rows for the overfit end-to-end tests: ``clips`` maps a name to (RGB colour, answer); each becomes the
    one-colour clip ``<name>.mp4`` under ``folder``, all of one length and asked :data:`OVERFIT_QUESTION`, so the
    prompts are the same text and only the pixels differ.

    Returns the training rows and a val jsonl holding them plus the last row with ``black.mp4`` (same length) as its
    video: the blanked-frames control.
    """
    folder = Path(folder)
    rows = [{'messages': [{'role': 'user', 'content': OVERFIT_QUESTION}, {'role': 'assistant', 'content': answer}],
             'videos': [str(write_solid_clip(folder / f'{name}.mp4', rgb, num_frames=num_frames, fps=fps))]}
            for name, (rgb, answer) in clips.items()]
    black = write_black_clip(folder / 'black.mp4', num_frames=num_frames, fps=fps)
    return rows, write_jsonl(folder / 'val.jsonl', rows + [dict(rows[-1], videos=[str(black)])])


def responses_by_video(result_dir_or_file: str | Path) -> dict[str, str]:
    """``swift infer`` results keyed by the file name of each row's first video (or first image's folder)."""
    path = Path(result_dir_or_file)
    rows = infer_results(path) if path.is_dir() else [json.loads(line) for line in path.read_text().splitlines()
                                                      if line.strip()]
    out = {}
    for row in rows:
        media = row.get('videos') or row.get('images')
        first = media[0] if isinstance(media[0], str) else media[0].get('path')
        out[Path(first).name if row.get('videos') else Path(first).parent.name] = row['response'].strip()
    return out


def greedy_answers(adapter_dir: str | Path, merged_dir: str | Path, val_dataset: str | Path,
                   max_new_tokens: int = 16) -> tuple[dict[str, str], dict[str, str]]:
    """Greedy ``swift infer`` answers per clip (:func:`responses_by_video`) from the adapter run (batched, so left
    padding is exercised) and from the merged export's run."""
    common = ['--val_dataset', str(val_dataset), '--max_new_tokens', str(max_new_tokens), '--temperature', '0']
    run(['swift', 'infer', '--adapters', str(adapter_dir), *common, '--max_batch_size', '2'])
    run(['swift', 'infer', '--model', str(merged_dir), *common])
    return responses_by_video(adapter_dir), responses_by_video(merged_dir)


def logged_token_accuracy(output_dir: str | Path) -> list[float]:
    """Training ``token_acc`` per logging step (fraction of answer tokens the model predicts greedily)."""
    (log,) = Path(output_dir).glob('v*/logging.jsonl')
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [r['token_acc'] for r in records if 'token_acc' in r and 'loss' in r]


_AUTO_LOAD = '''
import json, sys
import swift_video_ext  # noqa: F401  (the README: this import registers our classes with the Auto classes)
from transformers import AutoModelForImageTextToText, AutoProcessor
model, info = AutoModelForImageTextToText.from_pretrained(sys.argv[1], output_loading_info=True)
processor = AutoProcessor.from_pretrained(sys.argv[1])
print(json.dumps({'model': type(model).__name__, 'processor': type(processor).__name__,
                  'missing': sorted(info['missing_keys']), 'unexpected': sorted(info['unexpected_keys'])}))
'''


def auto_load(merged_dir: str | Path) -> dict:
    """Load a merged export with ``AutoModelForImageTextToText`` / ``AutoProcessor`` in a fresh process (no
    ``trust_remote_code``); returns the class names and the missing / unexpected keys."""
    assert not list(Path(merged_dir).glob('*.py')), f'{merged_dir} ships code'
    result = subprocess.run([sys.executable, '-c', _AUTO_LOAD, str(merged_dir)], env=command_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_bounded(command: list[str], *, timeout: int = 240, env: dict | None = None,
                cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    """:func:`run` for commands that might hang: a hang fails within ``timeout`` s and the command's whole process
    group (``swift``'s child and the workers it forked) is killed, not left running."""
    import signal

    process = subprocess.Popen([str(BIN / command[0]), *command[1:]], env=env or command_env(), cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(f'{" ".join(command[:2])} hung (killed after {timeout} s):\n{stdout[-2000:]}\n'
                             f'{stderr[-4000:]}') from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
