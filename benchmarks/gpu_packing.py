"""Padding-free / packing against padded batches with flash attention, per model type (a CUDA GPU with flash-attn).

Model level, for each model type: its tiny random checkpoint (``--size full``: the released architecture, random
weights), loaded through ms-swift with ``--attn_impl`` (default ``flash_attn``) in ``--dtype`` (default bf16); four
rows of different lengths and media (a video, a still image, a second video, text only: ``tests.helpers
.packing_rows``) encoded by our template and collated by ms-swift's own collator, padded and padding-free. Reported:

- ``logits``: max |logit| difference between each sample's slice of the padding-free forward and its own forward;
- ``loss``: |loss| difference between the padding-free forward and the padded batch's forward;
- ``control``: the same logits difference when the packed row gets one-sequence positions (samples then attend
  across, as they would if the attention did not split the row): the scale of a real leak.

A type passes when ``logits`` and ``loss`` are within ``--atol`` (default 0.05, bf16) and ``control`` is at least
10x ``logits``. ``--swift-sft`` also runs ``swift sft`` padded / ``--padding_free true`` / ``--packing true`` with the
same attention on the tiny checkpoint and compares the first step's loss and gradient norm (``--rtol``).

    python benchmarks/gpu_packing.py                       # all three types, flash_attn, bf16
    python benchmarks/gpu_packing.py --swift-sft           # plus the swift sft runs
    python benchmarks/gpu_packing.py --device cpu --attn-impl sdpa --dtype fp32 --atol 2e-5   # CPU smoke

Prints one JSON line per model type (and per swift sft comparison); exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import (  # noqa: E402
    collate,
    encode_rows,
    one_sequence_positions,
    packed_vs_separate,
    packing_e2e,
    packing_rows,
    write_jsonl,
)

MODEL_TYPES = ('pllava', 'cogvlm2_video_ts', 'minigpt4_video')
DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16, 'fp32': torch.float32}
SWIFT_DTYPES = {'bf16': 'bfloat16', 'fp16': 'float16', 'fp32': 'float32'}


def build_checkpoint(model_type: str, size: str, folder: Path) -> Path:
    from swift_video_ext.models import tiny_builders

    if size == 'tiny':
        return tiny_builders()[model_type](folder)
    if model_type == 'pllava':
        from swift_video_ext.models.pllava.tiny import build_full_size
    elif model_type == 'cogvlm2_video_ts':
        from swift_video_ext.models.cogvlm2_video.tiny import build_full_size
    else:
        from swift_video_ext.models.minigpt4_video.tiny import build_full_size
    return build_full_size(folder)


def wrong_positions(model_type: str, packed: dict) -> torch.Tensor:
    """Positions of one long sequence for the packed row (CogVLM2-Video: its own kind of positions)."""
    if model_type == 'cogvlm2_video_ts':
        from swift_video_ext.models.cogvlm2_video.modeling_cogvlm2_video import build_position_ids

        return build_position_ids(packed['token_type_ids'])
    return one_sequence_positions(packed)


def check_model(model_type: str, checkpoint: Path, rows: list[dict], args) -> dict:
    from swift.model import get_model_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    model, processor = get_model_processor(str(checkpoint), model_type=model_type, torch_dtype=DTYPES[args.dtype],
                                           attn_impl=args.attn_impl, device_map=args.device)
    template = get_template(processor)
    encoded = encode_rows(template, rows)
    packed = collate(template, encoded, padding_free=True)
    model.eval()
    result = packed_vs_separate(model, template, encoded, packed)
    result['control'] = packed_vs_separate(model, template, encoded,
                                           dict(packed, position_ids=wrong_positions(model_type, packed)))['logits']
    result['ok'] = (result['logits'] <= args.atol and result['loss'] <= args.atol
                    and result['control'] >= 10 * max(result['logits'], 1e-6))
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {'model_type': model_type, 'check': 'forward', 'attn_impl': args.attn_impl, 'dtype': args.dtype,
            'size': args.size, 'tokens': [len(e['input_ids']) for e in encoded], **result}


def check_swift_sft(model_type: str, checkpoint: Path, rows: list[dict], folder: Path, args) -> dict:
    dtype = SWIFT_DTYPES[args.dtype]
    extra = ('--attn_impl', args.attn_impl, '--torch_dtype', dtype, '--bf16', str(args.dtype == 'bf16').lower(),
             '--fp16', str(args.dtype == 'fp16').lower())
    records = packing_e2e(checkpoint, model_type, write_jsonl(folder / 'train.jsonl', rows), folder, extra=extra)
    first = {name: {key: run[0][key] for key in ('loss', 'grad_norm')} for name, run in records.items()}
    padded = first['padded']
    rel = {f'{name}_{key}': abs(values[key] - padded[key]) / abs(padded[key])
           for name, values in first.items() if name != 'padded' for key in values}
    finite = all(torch.isfinite(torch.tensor(r['loss'])) for run in records.values() for r in run)
    return {'model_type': model_type, 'check': 'swift_sft', 'attn_impl': args.attn_impl, 'first_step': first,
            'relative_diff': rel, 'ok': finite and max(rel.values()) <= args.rtol}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model-types', nargs='+', default=list(MODEL_TYPES), choices=MODEL_TYPES)
    parser.add_argument('--attn-impl', default='flash_attn')
    parser.add_argument('--dtype', default='bf16', choices=list(DTYPES))
    parser.add_argument('--device', default='cuda')
    parser.add_argument('--size', default='tiny', choices=['tiny', 'full'])
    parser.add_argument('--atol', type=float, default=0.05)
    parser.add_argument('--rtol', type=float, default=1e-2, help='swift sft first-step loss / grad norm')
    parser.add_argument('--swift-sft', action='store_true')
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for model_type in args.model_types:
            folder = Path(tmp) / model_type
            rows = packing_rows(folder / 'media', model_type)
            checkpoint = build_checkpoint(model_type, args.size, folder / 'checkpoint')
            results = [check_model(model_type, checkpoint, rows, args)]
            if args.swift_sft:
                results.append(check_swift_sft(model_type, build_checkpoint(model_type, 'tiny', folder / 'tiny')
                                               if args.size != 'tiny' else checkpoint, rows, folder / 'sft', args))
            for result in results:
                print(json.dumps(result), flush=True)
                ok = ok and result['ok']
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
