"""``swift-video``: sample videos, draw contact sheets, build tiny checkpoints, convert and rescale adapters."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_NUM_FRAMES = 8  # `sample` with a count-based strategy and no --num-frames


class UsageError(Exception):
    """A mistake in the command line or its inputs: printed as one line, exit status 2."""


# Exceptions that mean "bad input" (files, arguments, checkpoints): one line and exit 2 unless --debug.
USER_ERRORS: tuple[type[BaseException], ...] = (UsageError, OSError, ValueError, KeyError)


def _add_sampling_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--strategy', default='uniform', help='sampling strategy (default: uniform)')
    parser.add_argument('--num-frames', type=int,
                        help=f'count of count-based strategies (default: {DEFAULT_NUM_FRAMES})')
    parser.add_argument('--fps', type=float, help='target rate for --strategy fps')
    parser.add_argument('--min-frames', type=int)
    parser.add_argument('--max-frames', type=int)
    parser.add_argument('--seed', type=int)
    parser.add_argument('--start', type=float, help='window start, seconds')
    parser.add_argument('--end', type=float, help='window end, seconds')
    parser.add_argument('--backend', choices=['pyav', 'decord', 'torchcodec'])
    parser.add_argument('--source-fps', type=float, help='frame rate of a frame-folder source')


def cmd_sample(args) -> int:
    from ..video import sample_video
    from ..video.sampling import get_strategy, strategy_parameters

    get_strategy(args.strategy)  # unknown names: one line listing the strategies
    num_frames = args.num_frames
    if num_frames is None and 'num_frames' in strategy_parameters(args.strategy):
        num_frames = DEFAULT_NUM_FRAMES
    if args.strategy == 'fps' and args.fps is None:
        raise UsageError('--strategy fps needs --fps')
    video = sample_video(args.video, args.strategy, num_frames=num_frames, fps=args.fps,
                         min_frames=args.min_frames, max_frames=args.max_frames, seed=args.seed, start=args.start,
                         end=args.end, backend=args.backend, source_fps=args.source_fps)
    result = {'source': video.source, 'backend': video.backend, 'fps': video.fps, 'duration': video.duration,
              'num_source_frames': video.num_source_frames, 'indices': video.indices.tolist(),
              'timestamps': [round(float(t), 6) for t in video.timestamps]}
    if args.json:
        print(json.dumps(result))
    else:
        for index, t in zip(result['indices'], result['timestamps'], strict=True):
            print(f'{index}\t{t:.3f}')
    return 0


def _checkpoint_sampling(model_type: str, model_dir: str, template_type: str | None):
    """The sampling the template of ``swift infer --model model_dir`` uses (the checkpoint's frame count etc.)."""
    from ..models import spec_for
    from ..tools.loading import load_template

    if not (Path(model_dir) / 'config.json').is_file():
        raise UsageError(f'--model {model_dir}: no config.json (not a checkpoint directory)')
    spec = spec_for(model_type)
    if template_type is None and spec is not None:
        template_type = spec.video_template
    template = load_template(model_type, model_dir=model_dir, template_type=template_type).template
    sampling = getattr(template, 'video_sampling', None)
    if sampling is None:
        raise UsageError(f'template {template.template_meta.template_type!r} does not sample videos through '
                         'swift-video-ext; pass --template')
    return sampling


def cmd_sheet(args) -> int:
    from ..video.sheet import draw_contact_sheet
    from ..video.subtitles import Subtitles

    if args.model:
        sampling = _checkpoint_sampling(args.model_type, args.model, args.template)
    else:
        from ..models import sampling_profiles

        profiles = sampling_profiles()
        if args.model_type not in profiles:
            raise UsageError(f'unknown --model-type {args.model_type!r}; choose one of {sorted(profiles)}')
        sampling = profiles[args.model_type].with_env()
    video = sampling.sample(args.video, training=args.training)
    captions = None
    subtitle_path = args.subtitles or Subtitles.find_next_to(args.video)
    if subtitle_path:
        captions = Subtitles.load(subtitle_path).new_per_frame(video.timestamps)
    title = (f'{Path(args.video).name} | {args.model_type} | {sampling.strategy_for(args.training)} | '
             f'{len(video)} of {video.num_source_frames} frames, {video.duration:.2f} s')
    draw_contact_sheet(video, title=title, captions=captions, columns=args.columns).save(args.output)
    print(f'wrote {args.output}: {len(video)} frames at {[round(float(t), 2) for t in video.timestamps]} s')
    return 0


def cmd_tiny_model(args) -> int:
    from ..models import tiny_builders

    output = Path(args.output_dir)
    if output.exists() and not (output.is_dir() and not any(output.iterdir())) and not args.overwrite:
        raise UsageError(f'{output} exists and is not an empty folder (pass --overwrite to write into it)')
    try:
        options = json.loads(args.options or '{}')
    except json.JSONDecodeError as error:
        raise UsageError(f'--options is not JSON: {error}') from None
    builders = tiny_builders()
    if args.type not in builders:
        raise UsageError(f'unknown model type {args.type!r}; choose one of {sorted(builders)}')
    path = builders[args.type](output, **options)
    print(path)
    return 0


def cmd_rescale_lora(args) -> int:
    from ..tools.rescale_lora import rescale_lora

    print(rescale_lora(args.checkpoint, args.alpha, args.output, overwrite=args.overwrite))
    return 0


def cmd_eval_grounding(args) -> int:
    from ..eval.grounding import evaluate_grounding, load_results

    result = evaluate_grounding(load_results(args.results))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f'{key:<32}{value}')
    return 0


def cmd_eval_prepare(args) -> int:
    from ..eval.prepare import manifest_path, prepare

    manifest = prepare(args.benchmark, args.data, args.model_type, args.output, videos=args.videos, subset=args.subset,
                       tasks=args.tasks, limit=args.limit)
    print(f'wrote {manifest["rows"]} rows to {manifest["rows_file"]} (protocol {manifest["protocol"]["name"]}) '
          f'and {manifest_path(manifest["rows_file"])}')
    if manifest['skipped']:
        shown = '; '.join(f'{s["id"]}: {s["video"]} ({s["reason"]})' for s in manifest['skipped'][:5])
        print(f'{len(manifest["skipped"])} of {manifest["items"]} items left out, counted as wrong when scored: '
              f'{shown}{" …" if len(manifest["skipped"]) > 5 else ""}', file=sys.stderr)
    print(f'next: {manifest["swift_infer"]}')
    return 0


def cmd_eval_benchmark(args) -> int:
    from ..eval.report import format_table, score

    judge = None
    if getattr(args, 'judge_model', None):
        from ..eval.judge import Judge, JudgeCache

        judge = Judge(args.judge_model, args.judge_url, args.judge_api_key,
                      cache=JudgeCache(args.judge_cache) if args.judge_cache else None,
                      temperature=args.judge_temperature, max_retries=args.judge_max_retries,
                      workers=args.judge_workers)
    overrides = {'lora_alpha': args.lora_alpha, 'num_frames': args.num_frames, 'template': args.template,
                 'adapters': args.adapters}
    report = score(args.benchmark, args.results, manifest=args.manifest, judge=judge,
                   judge_rule=getattr(args, 'judge_rule', None), overrides=overrides)
    output = Path(args.output or f'{args.results}.{args.benchmark}.json')
    output.write_text(json.dumps(report, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    print(json.dumps(report) if args.json else format_table(report))
    print(f'report: {output}', file=sys.stderr)
    return 0


def cmd_convert_minigpt4_video(args) -> int:
    from ..models.minigpt4_video.convert_minigpt4_video import convert_checkpoint

    report = convert_checkpoint(args.ckpt, args.eva, args.llm, args.output, lora_as_adapter=args.lora_as_adapter,
                                lora_r=args.lora_r, lora_alpha=args.lora_alpha, eva_layers=args.eva_layers,
                                eva_heads=args.eva_heads, family=args.family, dtype=args.dtype)
    how = 'written as a PEFT adapter in lora_adapter/' if args.lora_as_adapter else 'merged'
    print(f'wrote {args.output}: {report.lora_pairs} LoRA pairs {how} (scale {report.lora_scale:g}); '
          f'EVA tensors dropped by design: {len(report.dropped_eva)}; initialised: {report.initialised}')
    return 0


def cmd_eval_action(args) -> int:
    from ..eval.action import evaluate_actions, read_label_list
    from ..eval.grounding import load_results

    classes = read_label_list(args.labels) if args.labels else None
    if not 0.0 <= args.min_similarity <= 1.0:
        raise UsageError(f'--min-similarity must be within [0, 1], got {args.min_similarity}')
    result = evaluate_actions(load_results(args.results), classes, top_confusions=args.top_confusions,
                              min_similarity=args.min_similarity)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f'top-1 accuracy: {result["top1_accuracy"]:.2f}% of {result["count"]}')
    if 'predictions_mapped_to_a_class' in result:
        print(f'predictions mapped to a class: {result["predictions_mapped_to_a_class"]} (the others stay as '
              f'answered and count as wrong; --min-similarity {args.min_similarity:g})')
    for name, accuracy in result['per_class_accuracy'].items():
        print(f'  {accuracy:6.2f}%  {name}')
    if result['top_confusions']:
        print('most common confusions (reference -> prediction):')
        for item in result['top_confusions']:
            print(f'  {item["count"]:4d}  {item["reference"]} -> {item["prediction"]}')
    return 0


def cmd_extract_frames(args) -> int:
    from ..datasets.extract_frames import extract_frames, jobs_from_folder, jobs_from_kinetics_csv, jobs_from_list

    if args.kinetics_csv:
        if not args.video_root:
            raise UsageError('--kinetics-csv needs --video-root')
        jobs = jobs_from_kinetics_csv(args.kinetics_csv, args.video_root)
    elif args.list:
        jobs = jobs_from_list(args.list, args.video_root)
    else:
        jobs = jobs_from_folder(args.clips)
    params = {k: v for k, v in {'fps': args.fps, 'seed': args.seed}.items() if v is not None}
    from ..datasets.kinetics import QUESTION

    summary = extract_frames(jobs, args.output, num_frames=args.num_frames, strategy=args.strategy,
                             strategy_params=params, workers=args.workers, val_ratio=args.val_ratio,
                             as_video=args.as_video, question=args.question or QUESTION,
                             answer_template=args.answer_template,
                             name=args.name, shortest_edge=args.shortest_edge, progress=not args.no_progress)
    print(json.dumps(summary, indent=1))
    return 0


def cmd_plan(args) -> int:
    import tempfile

    from ..tools.loading import load_rows, load_template
    from ..tools.plan import Planner, choose_rows, format_report, judge, suggest, summarize

    rows = load_rows(args.dataset)
    with tempfile.TemporaryDirectory() as workdir:
        loaded = load_template(args.model_type, model_dir=args.model, template_type=args.template, workdir=workdir)
        planner = Planner(loaded.template, exact_text=loaded.exact_text)
        indices = choose_rows(len(rows), args.limit, args.seed)
        plans = planner.plan(rows, indices, progress=not args.no_progress)
        judge(plans, args.max_length, args.truncation_strategy, loaded.template)
        summary = summarize(plans, args.max_length, args.truncation_strategy)
        suggestion = suggest(planner, rows, plans, args.max_length)
    if args.output:
        with open(args.output, 'w', encoding='utf-8') as f:
            f.writelines(json.dumps(p.as_dict()) + '\n' for p in plans)
    if args.json:
        print(json.dumps({**summary, 'suggestion': suggestion, 'exact_text_tokens': loaded.exact_text}))
    else:
        print(format_report(summary, plans, suggestion, top=args.top, exact_text=loaded.exact_text))
    return 1 if args.strict and any(p.status != 'ok' for p in plans) else 0


def cmd_cache(args) -> int:
    import tempfile

    from ..tools.fill_cache import clear_cache, dataset_videos, fill_cache
    from ..video.cache import CACHE_DIR_ENV, describe, frame_cache

    if args.cache_dir:
        os.environ[CACHE_DIR_ENV] = str(Path(args.cache_dir).resolve())  # inherited by the worker processes
    if args.clear:
        print(f'deleted {clear_cache()} entries')
        return 0
    if args.stats:
        cache = frame_cache()
        if cache is None:
            raise UsageError(f'set {CACHE_DIR_ENV} or pass --cache-dir')
        print(json.dumps(describe(cache)))
        return 0
    if not args.dataset or not args.model_type:
        raise UsageError('--dataset and --model_type are needed to fill the cache')
    from ..tools.loading import load_rows, load_template

    rows = load_rows(args.dataset)
    with tempfile.TemporaryDirectory() as workdir:
        template = load_template(args.model_type, model_dir=args.model, template_type=args.template,
                                 workdir=workdir).template
    sampling = getattr(template, 'video_sampling', None)
    if sampling is None:
        raise UsageError(f'template {template.template_meta.template_type!r} does not sample videos through '
                         'swift-video-ext; nothing to cache')
    modes = ('train', 'infer') if args.mode == 'both' else (args.mode,)
    summary = fill_cache(dataset_videos(rows), sampling, modes=modes, workers=args.workers,
                         progress=not args.no_progress)
    print(json.dumps(summary, indent=1))
    return 1 if summary['failed'] else 0


def cmd_plugin_path(args) -> int:
    print(Path(__file__).resolve().parents[1] / '_swift_shim' / 'swift_video_ext_plugin.py')
    return 0


_BENCHMARK_HELP = {
    'mvbench': 'MVBench: per-task accuracy and Avg (PLLaVA check_ans, unanswered = wrong)',
    'videomme': "Video-MME: accuracy per duration and overall (the official extraction and denominator)",
    'tvqa': 'TVQA (MiniGPT4-Video protocol): accuracy per show and overall',
    'videoqa': 'zero-shot open-ended QA (MSVD/MSRVTT/TGIF/ActivityNet): GPT-judged accuracy and mean score',
    'vcgbench': 'VCGBench: GPT-judged correctness, detail, context, temporal, consistency (0-5)',
    'charades_sta': 'Charades-STA: R@1 at IoU 0.3/0.5/0.7 and mIoU',
}


def _add_benchmark_parsers(eval_sub) -> None:
    q = eval_sub.add_parser('prepare', help='benchmark files -> swift infer rows with a model type\'s eval prompt')
    q.add_argument('benchmark', choices=sorted(_BENCHMARK_HELP))
    q.add_argument('--data', required=True, help="the benchmark's released folder (annotations; see docs/evaluate.md)")
    q.add_argument('--model-type', '--model_type', dest='model_type', required=True,
                   help='pllava, cogvlm2_video_ts, minigpt4_video (= minigpt4_video_llama2) or minigpt4_video_mistral')
    q.add_argument('--videos', help='video folder (default: the layout under --data)')
    q.add_argument('--subset', help='videoqa: msvd, msrvtt, activitynet or tgif')
    q.add_argument('--tasks', nargs='+', help='only these tasks (MVBench task names, Video-MME durations, VCG sets)')
    q.add_argument('--limit', type=int, help='first N items only (smoke runs)')
    q.add_argument('-o', '--output', required=True, help='rows jsonl (the manifest is written beside it)')
    q.set_defaults(func=cmd_eval_prepare)
    for name, text in _BENCHMARK_HELP.items():
        q = eval_sub.add_parser(name, help=text)
        q.add_argument('--results', required=True, help='swift infer result jsonl of rows made by eval prepare')
        q.add_argument('--manifest', help='default: found through the result rows\' dataset path')
        q.add_argument('-o', '--output', help='report JSON (default: <results>.<benchmark>.json)')
        q.add_argument('--json', action='store_true', help='print the report as one JSON object')
        q.add_argument('--adapters', help='the adapter folder swift infer used: its LoRA alpha/rank and args.json are '
                       'recorded (default: the checkpoint the results were written into)')
        q.add_argument('--lora-alpha', type=float, help='record this LoRA alpha (default: from adapter_config.json)')
        q.add_argument('--num-frames', type=int, help='record this frame count (default: the protocol\'s)')
        q.add_argument('--template', help='record this template (default: the protocol\'s)')
        if name in ('videoqa', 'vcgbench'):
            q.add_argument('--judge-model', required=True, help='judge model name (the papers: gpt-3.5-turbo-0125)')
            q.add_argument('--judge-url', help='OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (swift '
                           'deploy); default: OpenAI')
            q.add_argument('--judge-api-key', help='default: $OPENAI_API_KEY')
            q.add_argument('--judge-rule', choices=['pllava', 'minigpt4_video'],
                           help='official parsing/aggregation rule (default: by the model type)')
            q.add_argument('--judge-cache', help='SQLite cache of replies (default: $SWIFT_VIDEO_JUDGE_CACHE or '
                           '~/.cache/swift_video_ext/judge.sqlite)')
            q.add_argument('--judge-temperature', type=float, help='default: not sent (as the official scripts)')
            q.add_argument('--judge-max-retries', type=int, default=6)
            q.add_argument('--judge-workers', type=int, default=4)
        q.set_defaults(func=cmd_eval_benchmark, benchmark=name)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='swift-video', description=__doc__)
    parser.add_argument('--debug', action='store_true', help='show the traceback of an error')
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('sample', help='print the frame indices and timestamps a strategy picks')
    p.add_argument('video')
    _add_sampling_args(p)
    p.add_argument('--json', action='store_true', help='print one JSON object')
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser('sheet', help='contact sheet of exactly the frames a model type sees')
    p.add_argument('video')
    p.add_argument('--model-type', required=True)
    p.add_argument('--model', help="checkpoint directory: draw the frames its template samples (its config's frame "
                   'count), not the released defaults')
    p.add_argument('--template', help="as swift infer's --template (gemma4: default gemma4_frames_nothinking)")
    p.add_argument('-o', '--output', required=True)
    p.add_argument('--subtitles', help='.srt/.vtt (default: one next to the video)')
    p.add_argument('--training', action='store_true', help='use the training strategy (augmentation)')
    p.add_argument('--columns', type=int)
    p.set_defaults(func=cmd_sheet)

    p = sub.add_parser('tiny-model', help='write a tiny random checkpoint of a model type')
    p.add_argument('type')
    p.add_argument('output_dir')
    p.add_argument('--options', help='JSON keyword arguments of the builder')
    p.add_argument('--overwrite', action='store_true', help='write into a non-empty folder')
    p.set_defaults(func=cmd_tiny_model)

    p = sub.add_parser('rescale-lora', help="copy a LoRA adapter with another lora_alpha (PLLaVA's post-training "
                       'optimisation)')
    p.add_argument('checkpoint')
    p.add_argument('--alpha', type=float, required=True)
    p.add_argument('-o', '--output', required=True)
    p.add_argument('--overwrite', action='store_true')
    p.set_defaults(func=cmd_rescale_lora)

    p = sub.add_parser('eval', help='score swift infer results')
    eval_sub = p.add_subparsers(dest='task', required=True)
    q = eval_sub.add_parser('grounding', help='temporal grounding: R@1 at IoU 0.3/0.5/0.7 and mIoU')
    q.add_argument('--results', required=True, help='swift infer result jsonl (response + labels)')
    q.add_argument('--json', action='store_true')
    q.set_defaults(func=cmd_eval_grounding)

    _add_benchmark_parsers(eval_sub)

    p = sub.add_parser('convert', help='convert released checkpoints into ms-swift-loadable directories')
    convert_sub = p.add_subparsers(dest='source', required=True)
    q = convert_sub.add_parser('minigpt4-video', help='a released MiniGPT4-Video .pth + EVA + HF LLM')
    q.add_argument('--ckpt', required=True, help='released .pth (e.g. video_llama_checkpoint_last.pth)')
    q.add_argument('--eva', required=True, help="LAVIS eva_vit_g.pth")
    q.add_argument('--llm', required=True, help='HF directory of Llama-2-7b-chat-hf or Mistral-7B-Instruct-v0.2')
    q.add_argument('-o', '--output', required=True)
    q.add_argument('--lora-as-adapter', action='store_true', help='write the LoRA as a PEFT adapter, not merged')
    q.add_argument('--lora-r', type=int, help='default: from the checkpoint config, else 64')
    q.add_argument('--lora-alpha', type=float, help='default: from the checkpoint config, else 16')
    q.add_argument('--eva-layers', type=int, default=39, help='EVA blocks used (BLIP-2 drops the 40th)')
    q.add_argument('--eva-heads', type=int, default=16)
    q.add_argument('--family', choices=['llama2', 'mistral'], help='default: from the LLM config')
    q.add_argument('--dtype', choices=['float32', 'float16', 'bfloat16'])
    q.set_defaults(func=cmd_convert_minigpt4_video)

    q = eval_sub.add_parser('action', help='action recognition: top-1, per-class accuracy, confusions')
    q.add_argument('--results', required=True, help='swift infer result jsonl (response + labels)')
    q.add_argument('--labels', help='class list, one per line: map a free-text prediction to the class it names, '
                   'else to the most similar class if the similarity is at least --min-similarity')
    q.add_argument('--min-similarity', type=float, default=0.5,
                   help='difflib ratio in [0, 1] a free-text answer needs to map to a class it does not name '
                   '(default 0.5; 0 maps every answer)')
    q.add_argument('--top-confusions', type=int, default=10)
    q.add_argument('--json', action='store_true')
    q.set_defaults(func=cmd_eval_action)

    p = sub.add_parser('extract-frames', help='sample N frames per clip into frames/<clip_id>/ and write json rows')
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument('--clips', help='folder of clips (label = parent folder name)')
    source.add_argument('--list', help='"<path> <label>" lines')
    source.add_argument('--kinetics-csv', help='label,youtube_id,time_start,time_end,split')
    p.add_argument('--video-root', help='videos of --kinetics-csv / relative paths of --list')
    p.add_argument('-o', '--output', required=True)
    p.add_argument('--num-frames', type=int, default=4)
    p.add_argument('--strategy', default='uniform', help='any strategy of the video core (default: uniform)')
    p.add_argument('--fps', type=float, help='rate for --strategy fps')
    p.add_argument('--seed', type=int, help='seed for --strategy segment_random')
    p.add_argument('--workers', type=int, default=max(1, (os.cpu_count() or 2) // 2))
    p.add_argument('--val-ratio', type=float, default=0.0, help='held-out share when the source has no split')
    p.add_argument('--as-video', action='store_true', help='also write rows with each sample as one video')
    p.add_argument('--question', default=None)
    p.add_argument('--answer-template', default='{label}')
    p.add_argument('--name', default='kinetics_frames')
    p.add_argument('--shortest-edge', type=int, help='resize frames at decode')
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(func=cmd_extract_frames)

    p = sub.add_parser('plan', help='token budget: frames and visual/text tokens per row vs --max_length')
    p.add_argument('--model_type', '--model-type', dest='model_type', required=True)
    p.add_argument('--dataset', nargs='+', required=True, help="what you pass to swift sft's --dataset")
    p.add_argument('--max_length', '--max-length', dest='max_length', type=int, required=True)
    p.add_argument('--model', help='checkpoint directory: exact text tokens with its tokenizer (default: a stand-in '
                   'with the released geometry; text tokens estimated)')
    p.add_argument('--template', help="as swift sft's --template")
    p.add_argument('--truncation_strategy', '--truncation-strategy', dest='truncation_strategy', default='delete',
                   choices=['delete', 'left', 'right'])
    p.add_argument('--limit', type=int, help='plan this many random rows (default: all)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--output', help='write every row as JSON lines')
    p.add_argument('--top', type=int, default=10, help='flagged rows listed (default 10)')
    p.add_argument('--json', action='store_true', help='print the summary as one JSON object')
    p.add_argument('--strict', action='store_true', help='exit 1 when any row would be dropped, cut or skipped')
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser('cache', help='fill the frame cache (SWIFT_VIDEO_CACHE_DIR) ahead of training')
    p.add_argument('--dataset', nargs='+', help="what you pass to swift sft's --dataset")
    p.add_argument('--model_type', '--model-type', dest='model_type')
    p.add_argument('--model', help='checkpoint directory (its num_frames etc.; default: the released settings)')
    p.add_argument('--template', help="as swift sft's --template")
    p.add_argument('--mode', choices=['train', 'infer', 'both'], default='train',
                   help='which strategy to cache: training (default), inference, or both')
    p.add_argument('--workers', type=int, default=max(1, (os.cpu_count() or 2) // 2))
    p.add_argument('--cache-dir', help='default: $SWIFT_VIDEO_CACHE_DIR')
    p.add_argument('--stats', action='store_true', help='print entry count and size, fill nothing')
    p.add_argument('--clear', action='store_true', help='delete every entry')
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(func=cmd_cache)

    p = sub.add_parser('plugin-path', help='path of the shim for --external_plugins')
    p.set_defaults(func=cmd_plugin_path)
    return parser


def _one_line(error: BaseException) -> str:
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return ' '.join(text.split()) or type(error).__name__


def _is_user_error(error: Exception) -> bool:
    errors = sys.modules.get('swift_video_ext.video.errors')  # not imported: cannot be a VideoDecodeError
    return isinstance(error, USER_ERRORS) or (errors is not None and isinstance(error, errors.VideoDecodeError))


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a user error (bad file, argument or checkpoint) is one line on stderr and exit 2."""
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = '--debug' in argv  # accepted anywhere on the line
    args = build_parser().parse_args([a for a in argv if a != '--debug'])
    try:
        return args.func(args)
    except Exception as error:
        if debug or not _is_user_error(error):
            raise
        print(f'swift-video {args.command}: error: {_one_line(error)} (--debug shows the traceback)',
              file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
