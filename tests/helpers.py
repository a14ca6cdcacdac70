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


def build_tiny(model_type: str, output: str | Path, **options) -> Path:
    """The type's tiny checkpoint (what ``swift-video tiny-model`` writes) built in this process at ``output``;
    ``options`` go to the package's ``build_tiny`` (e.g. ``chatml=True``, ``num_frames=4``, ``dims=...``)."""
    from swift_video_ext.models import MODEL_SPECS

    spec = next(spec for spec in MODEL_SPECS if model_type in (spec.model_type, spec.name))  # type or package
    return spec.build_tiny(Path(output), **options)


def make_template(model_dir: str | Path, model_type: str, template_type: str | None = None, mode: str = 'train',
                  **kwargs):
    """ms-swift's template for a checkpoint (our plugin registered), in ``mode``; ``kwargs`` go to ``get_template``."""
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    template = get_template(get_processor(str(model_dir), model_type=model_type), template_type=template_type,
                            **kwargs)
    template.set_mode(mode)
    return template


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for servers and torch.distributed rendezvous)."""
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


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


def sft(args: list[str], output_dir: str | Path, *, env: dict | None = None) -> tuple[subprocess.CompletedProcess,
                                                                                   Path]:
    """``swift sft`` on CPU (:data:`CPU_TRAIN_ARGS` after ``args``) into ``output_dir``: its result and the last
    checkpoint."""
    result = run(['swift', 'sft', *args, '--output_dir', str(output_dir), *CPU_TRAIN_ARGS], env=env)
    return result, last_checkpoint(output_dir)


def merge_lora(checkpoint: str | Path) -> Path:
    """``swift export --merge_lora true`` of an adapter checkpoint; the merged folder (``<checkpoint>-merged``)."""
    checkpoint = Path(checkpoint)
    run(['swift', 'export', '--adapters', str(checkpoint), '--merge_lora', 'true'])
    return checkpoint.parent / f'{checkpoint.name}-merged'


def assert_answers_follow_the_pixels(adapter: dict[str, str], expected: dict[str, str], blanked: str) -> None:
    """Greedy answers of an overfit run (:func:`greedy_answers`): each clip gets its own ``expected`` answer, and the
    black clip (``black.mp4``: ``blanked``'s prompt, its frames blanked) does not get ``blanked``'s."""
    assert {name: adapter.get(name) for name in expected} == expected, adapter
    assert adapter['black.mp4'] != adapter[blanked], adapter


def assert_merged_answers_equal_adapter(answers: tuple[dict[str, str], dict[str, str]], rows: int = 3) -> None:
    """The merged export's greedy answers are the adapter's, on all ``rows`` rows (:func:`greedy_answers`)."""
    adapter, merged = answers
    assert len(merged) == rows and merged == adapter


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


# ------------------------------------------------------------- padding-free / packing (tests/models/*/test_packing.py)
VARLEN_ATTENTION = 'varlen_emulation'


def write_png(path: str | Path, colour: tuple[int, int, int], size: tuple[int, int] = (80, 60)) -> Path:
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, colour).save(path)
    return path


def encode_rows(template, rows: list[dict]) -> list[dict]:
    """Training-mode encodings of ``rows`` (with ``length``, as ms-swift's datasets hand them to the collator)."""
    template.set_mode('train')
    return [template.encode(row, return_length=True) for row in rows]


def collate(template, encoded: list[dict], *, padding_free: bool, packing: bool = False) -> dict:
    """ms-swift's own collator on ``encoded``: padded, padding-free (one row), or packing (list-of-packs input)."""
    template.padding_free, template.packing = padding_free or packing, packing
    try:
        batch = [[dict(e) for e in encoded[:1]], [dict(e) for e in encoded[1:]]] if packing else \
            [dict(e) for e in encoded]
        return template.data_collator(batch)
    finally:
        template.padding_free = template.packing = False


def forward(model, batch: dict):
    import torch

    batch = {k: v.to(model.device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    with torch.no_grad():
        return model(**batch, use_cache=False)


def packed_vs_separate(model, template, encoded: list[dict], packed: dict | None = None) -> dict[str, float]:
    """Max |logit| difference between each sample's slice of the padding-free forward and the sample's own forward,
    and |loss| difference between the padding-free forward and the padded batch's forward."""
    packed = packed if packed is not None else collate(template, encoded, padding_free=True)
    packed_out = forward(model, packed)
    padded_loss = forward(model, collate(template, encoded, padding_free=False)).loss
    logits, offset = 0.0, 0
    for row in encoded:
        alone = forward(model, collate(template, [row], padding_free=False)).logits[0]
        n = len(row['input_ids'])
        logits = max(logits, (packed_out.logits[0, offset:offset + n] - alone).abs().max().item())
        offset += n
    return {'logits': logits, 'loss': abs(packed_out.loss.item() - padded_loss.item()), 'packed_loss':
            packed_out.loss.item()}


def register_varlen_attention() -> str:
    """A CPU stand-in for flash attention's padding-free path, registered with transformers as ``varlen_emulation``.

    It makes transformers' own flash decision for a row without attention mask (``_is_packed_sequence`` on the
    ``position_ids`` the attention layer receives, then ``prepare_fa_kwargs_from_position_ids`` for the segment
    bounds) and runs causal SDPA on each segment alone, as ``flash_attn_varlen_func`` would. A layer that does not
    pass per-sample ``position_ids`` to its attention function is therefore not split, exactly as under flash-attn.
    """
    import torch
    import torch.nn.functional as F
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask
    from transformers.modeling_flash_attention_utils import _is_packed_sequence, prepare_fa_kwargs_from_position_ids

    def varlen(module, query, key, value, attention_mask, scaling=None, dropout=0.0, position_ids=None, **kwargs):
        causal = kwargs.get('is_causal', getattr(module, 'is_causal', True))
        groups = query.shape[1] // key.shape[1]
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
        out = torch.zeros_like(query)
        for row in range(query.shape[0]):  # a 2D mask (padded batch): each row's real tokens, as flash unpads them
            real = torch.ones(query.shape[2], dtype=torch.bool) if attention_mask is None else attention_mask[row] > 0
            bounds = [0, int(real.sum())]
            if attention_mask is None and _is_packed_sequence(position_ids, query.shape[0]):
                (cu_seqlens, _), _ = prepare_fa_kwargs_from_position_ids(position_ids)
                bounds = cu_seqlens.tolist()
            q, k, v = (x[row][:, real] for x in (query, key, value))
            out[row][:, real] = torch.cat([
                F.scaled_dot_product_attention(q[:, a:b], k[:, a:b], v[:, a:b], is_causal=causal, scale=scaling)
                for a, b in zip(bounds[:-1], bounds[1:], strict=False)], dim=1)
        return out.transpose(1, 2).contiguous(), None

    AttentionInterface.register(VARLEN_ATTENTION, varlen)
    AttentionMaskInterface.register(VARLEN_ATTENTION, flash_attention_mask)
    return VARLEN_ATTENTION


def packing_rows(root: str | Path, model_type: str) -> list[dict]:
    """Four training rows of different lengths and media for packing checks: a 3 s video, a still image, a second
    video (PLLaVA / MiniGPT4-Video: the row has two videos; CogVLM2-Video, one video per sample: an 8 s one), text
    only. The clips differ in content, so a sample given another sample's frames gets other logits."""
    from swift_video_ext.video.synthetic import write_counter_clip

    root, one_video = Path(root), model_type.startswith('cogvlm2')
    counter = str(write_counter_clip(root / 'counter.mp4', num_frames=30, fps=10))
    red = str(write_solid_clip(root / 'red.mp4', (255, 0, 0), num_frames=40 if one_video else 12,
                               fps=5 if one_video else 4))
    green = str(write_png(root / 'green.png', (0, 255, 0)))

    def row(query, answer, **media):
        return {'messages': [{'role': 'user', 'content': query}, {'role': 'assistant', 'content': answer}], **media}

    second = row('<video>When is it red?', 'From 0 to 8 seconds, all of it.', videos=[red]) if one_video else \
        row('<video><video>Compare them.', 'the first one is red, the second counts', videos=[red, counter])
    return [row('<video>What is in the video?', 'a counter', videos=[counter]),
            row('<image>And this picture, what colour is it please?', 'green', images=[green]), second,
            row('hello there', 'hi')]


def packing_e2e(model_dir: str | Path, model_type: str, dataset: Path, root: Path,
                extra: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """``swift sft`` twice on the same 4 rows in one step: padded batch of 4, ``--padding_free true`` batch of 4;
    then ``--packing true`` (the 4 rows in one pack, 2 steps). LoRA starts at B = 0 and dropout is off, so the
    first step's loss and gradient norm are those of the base model on the same batch in every run.
    ``extra`` flags go last (they override the CPU defaults, e.g. ``--attn_impl flash_attn --torch_dtype bfloat16``).
    Returns each run's logged records."""
    common = ['--model', str(model_dir), '--model_type', model_type, '--dataset', str(dataset), '--tuner_type', 'lora',
              '--lora_dropout', '0', '--logging_steps', '1', '--save_strategy', 'no', '--dataset_shuffle', 'false',
              *CPU_TRAIN_ARGS]
    runs = {'padded': ['--per_device_train_batch_size', '4', '--max_steps', '1'],
            'padding_free': ['--per_device_train_batch_size', '4', '--max_steps', '2', '--padding_free', 'true'],
            'packing': ['--per_device_train_batch_size', '1', '--max_steps', '2', '--packing', 'true']}
    # --packing tokenizes up front through datasets' forked map after the start-of-training token check: bounded, so
    # a fork hang (issue 22 §1) fails here within minutes
    records = {}
    for name, flags in runs.items():
        output = root / name
        result = run_bounded(['swift', 'sft', *common, *flags, *extra, '--output_dir', str(output)], timeout=420)
        assert result.returncode == 0, f'swift sft {name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}'
        (log,) = output.glob('v*/logging.jsonl')
        records[name] = [r for r in map(json.loads, log.read_text().splitlines()) if 'loss' in r]
    return records


def load_for_packing(model_dir: str | Path, model_type: str):
    """(model in eval mode, float32, sdpa; training-mode template) through ms-swift, as ``swift sft`` loads them."""
    import torch
    from swift.model import get_model_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    model, processor = get_model_processor(str(model_dir), model_type=model_type, torch_dtype=torch.float32)
    template = get_template(processor)
    template.set_mode('train')
    return model.eval(), template


def assert_collated_like_rows(template, encoded: list[dict], media_keys: tuple[str, ...]) -> dict:
    """The padding-free batch is the rows end to end: ids, labels, token types, each row's own positions (restarting
    at 0 at each row's start and nowhere else), ``media_keys`` tensors concatenated in row order; ``--packing``
    batches equal it."""
    import torch

    packed = collate(template, encoded, padding_free=True)
    assert 'attention_mask' not in packed
    for key in ('input_ids', 'labels', 'token_type_ids'):
        if key not in encoded[0]:
            continue
        assert packed[key].tolist() == [sum((list(e[key]) for e in encoded), [])], key
    own_positions = [list(e.get('position_ids') or range(len(e['input_ids']))) for e in encoded]
    assert packed['position_ids'].tolist() == [sum(own_positions, [])]
    starts = torch.cumsum(torch.tensor([0] + [len(e['input_ids']) for e in encoded[:-1]]), 0)
    assert torch.equal((packed['position_ids'][0] == 0).nonzero().flatten(), starts)
    for key in media_keys:
        parts = [e[key] for e in encoded if e.get(key) is not None]
        assert len(parts) > 1 and torch.equal(packed[key], torch.cat(parts)), key
    packing = collate(template, encoded, padding_free=False, packing=True)
    assert packing.keys() == packed.keys()
    for key, value in packed.items():
        assert torch.equal(packing[key], value), key
    return packed


def one_sequence_positions(packed: dict):
    """Positions that make the packed row one long sequence (a packing bug): ``arange`` over the whole row."""
    import torch

    return torch.arange(packed['input_ids'].shape[1]).unsqueeze(0)


def assert_packed_forward_exact(model, template, encoded: list[dict], packed: dict, wrong_positions,
                                atol: float = 2e-5) -> None:
    """Each sample's logits in the padding-free forward equal its own forward, the loss equals the padded batch's;
    and both comparisons can fail: one-sequence positions (samples attend across) and frames in the wrong order
    (a sample's visual tokens from another sample's frames) each change the logits."""
    diff = packed_vs_separate(model, template, encoded, packed)
    assert diff['logits'] < atol and diff['loss'] < atol * max(1.0, diff['packed_loss']), diff
    leaked = packed_vs_separate(model, template, encoded, dict(packed, position_ids=wrong_positions))
    assert leaked['logits'] > 1e-3, leaked
    swapped = packed_vs_separate(model, template, encoded, dict(packed, pixel_values=packed['pixel_values'].flip(0)))
    assert swapped['logits'] > 1e-3, swapped


def set_text_attention(module, implementation: str) -> None:
    """Switch the attention implementation of ``module``'s config (a language model, not its vision tower)."""
    module.config._attn_implementation = implementation


def assert_flash_attention_accepted(model_cls, model_dir: str | Path) -> None:
    """transformers lets ``model_cls`` load with flash attention 2: without the flash-attn package (CPU) the load
    fails only because the package is missing, not with "does not support Flash Attention"."""
    import importlib.util

    import pytest

    if importlib.util.find_spec('flash_attn') is not None:
        pytest.skip('flash-attn is installed: benchmarks/gpu_packing.py runs the real thing')
    with pytest.raises(ImportError, match='FlashAttention2 has been toggled on'):
        model_cls.from_pretrained(str(model_dir), attn_implementation='flash_attention_2')


def assert_trains_with_padded_loss(records: dict[str, list[dict]]) -> None:
    """:func:`packing_e2e`'s runs: every logged loss finite, the expected steps, and the padding-free and packing runs'
    first step with the padded run's loss and gradient norm."""
    import math

    import pytest

    assert all(math.isfinite(r['loss']) for run in records.values() for r in run), records
    assert [len(run) for run in records.values()] == [1, 2, 2], records
    for name in ('padding_free', 'packing'):
        for key in ('loss', 'grad_norm'):
            assert records[name][0][key] == pytest.approx(records['padded'][0][key], rel=1e-4), (name, key, records)


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
