"""Requests/s of ms-swift's vLLM engine vs its PyTorch engine on the same video rows, in one run.

Both engines get the same N requests (video rows, a distinct 4 s clip each, sampled by our video core),
greedy, ``--max-tokens`` new tokens each; engine start-up is not timed. The PyTorch engine runs with
``--pt-batch`` (ms-swift's ``max_batch_size``), vLLM schedules all requests at once. Also checks that the two
engines' responses are equal. Without ``--model``, a random tiny model of ``--model-type`` (text head_dim 32) is
built: PLLaVA (default), CogVLM2-Video or MiniGPT4-Video.

Run in the vLLM venv (``make vllm-venv``); on CPU with tests/vllm/site on the path (torchvision schemas)::

    PYTHONPATH=tests/vllm/site:. .venv-vllm/bin/python benchmarks/vllm_throughput.py [--model-type cogvlm2_video]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import machine, write_report  # noqa: E402

OUT = ROOT / 'bench_output'


MODEL_TYPES = ('pllava', 'cogvlm2_video', 'minigpt4_video')


def tiny_model(root: Path, model_type: str, frames: int) -> Path:
    """A random tiny checkpoint whose text attention has head_dim 32 (vLLM's CPU attention needs 32, 64, 80, …)."""
    if model_type == 'pllava':
        from swift_video_ext.models.pllava.tiny import TINY_DIMS, build_tiny

        dims = {'vision': TINY_DIMS['vision'],
                'text': {**TINY_DIMS['text'], 'num_attention_heads': 2, 'num_key_value_heads': 2}}
        return build_tiny(root / model_type, dims=dims, num_frames=frames, pooling_shape=(frames, 2, 2))
    if model_type == 'cogvlm2_video':
        from swift_video_ext.models.cogvlm2_video.tiny import TINY_DIMS, build_tiny

        return build_tiny(root / model_type, dims={**TINY_DIMS, 'num_attention_heads': 2, 'num_multi_query_heads': 2})
    from swift_video_ext.models.minigpt4_video import tiny

    default_text_config = tiny.tiny_text_config
    tiny.tiny_text_config = lambda tokenizer, family='llama2': {
        **default_text_config(tokenizer, family), 'num_attention_heads': 2, 'num_key_value_heads': 2}
    try:
        return tiny.build_tiny(root / model_type)
    finally:
        tiny.tiny_text_config = default_text_config


def requests(root: Path, count: int):
    from swift.infer_engine import InferRequest

    from swift_video_ext.video.synthetic import write_counter_clip

    # one clip per request, so vLLM's multimodal cache cannot reuse one request's vision features for another
    clips = [str(write_counter_clip(root / f'clip{i}.mp4', num_frames=40, fps=10, event=(0.1 * i, 1.0 + 0.1 * i)))
             for i in range(count)]
    return [InferRequest(messages=[{'role': 'user', 'content': f'<video>What happens? ({i})'}],
                         videos=[clips[i % len(clips)]]) for i in range(count)]


def timed(engine, reqs, config) -> tuple[float, list[str]]:
    engine.infer(reqs[:2], config, use_tqdm=False)  # warm-up
    start = time.perf_counter()
    out = engine.infer(reqs, config, use_tqdm=False)
    elapsed = time.perf_counter() - start
    return elapsed, [o.choices[0].message.content for o in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--model', help='a merged export of --model-type (default: a random tiny one)')
    parser.add_argument('--model-type', choices=MODEL_TYPES, default='pllava')
    parser.add_argument('--requests', type=int, default=32)
    parser.add_argument('--max-tokens', type=int, default=16)
    parser.add_argument('--frames', type=int, default=4, help='frames per video of the tiny PLLaVA')
    parser.add_argument('--pt-batch', type=int, default=8)
    parser.add_argument('--dtype', default='float32')
    parser.add_argument('--kv-cache-bytes', type=int, default=512 << 20)
    parser.add_argument('--output', default=None, help='default: bench_output/vllm_throughput_<model-type>.json')
    args = parser.parse_args()

    import torch
    from swift.infer_engine import RequestConfig, TransformersEngine, VllmEngine

    import swift_video_ext.plugin  # noqa: F401

    root = Path(tempfile.mkdtemp(prefix='vllm_bench_'))
    model = args.model or str(tiny_model(root, args.model_type, args.frames))
    reqs = requests(root, args.requests)
    config = RequestConfig(max_tokens=args.max_tokens, temperature=0)
    dtype = getattr(torch, args.dtype)

    pt_engine = TransformersEngine(model, torch_dtype=dtype, max_batch_size=args.pt_batch)
    pt_seconds, pt_out = timed(pt_engine, reqs, config)
    del pt_engine
    vllm_engine = VllmEngine(model, torch_dtype=dtype, max_model_len=2048, enforce_eager=not torch.cuda.is_available(),
                             engine_kwargs={'kv_cache_memory_bytes': args.kv_cache_bytes})
    vllm_seconds, vllm_out = timed(vllm_engine, reqs, config)

    report = {
        'benchmark': 'vllm_throughput', **machine(),
        'model': args.model or f'tiny random {args.model_type}', 'model_type': args.model_type,
        'device': 'cuda' if torch.cuda.is_available() else 'cpu', 'requests': args.requests,
        'max_tokens': args.max_tokens, 'pt_max_batch_size': args.pt_batch,
        'pt_requests_per_s': round(args.requests / pt_seconds, 3),
        'vllm_requests_per_s': round(args.requests / vllm_seconds, 3),
        'ratio_vllm_over_pt': round(pt_seconds / vllm_seconds, 2),
        'responses_equal': pt_out == vllm_out,
        'rows': [{'pt': p, 'vllm': v} for p, v in zip(pt_out, vllm_out, strict=True)],
    }
    write_report(report, args.output or str(OUT / f'vllm_throughput_{args.model_type}.json'))


if __name__ == '__main__':
    main()
