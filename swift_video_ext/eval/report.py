"""``swift-video eval <benchmark>``: join results to the prepared items, score with the official rule, report.

The report (printed as the paper's table, written as JSON) carries every setting that changes a number: the
benchmark and subset, the protocol (template, frames, answer prompt, the official source it reproduces), the model
type, sampler and LoRA alpha (from the manifest, the checkpoint folder the results were written into, or the
command line), the judge (model, endpoint, prompt source) for GPT-judged metrics, and the counts of answered,
unanswered, unparsable and skipped items.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .protocols import Protocol, get_protocol
from .results import ScoredItem, join_results

MULTIPLE_CHOICE = ('mvbench', 'videomme', 'tvqa')
JUDGED = ('videoqa', 'vcgbench')
BENCHMARKS = (*MULTIPLE_CHOICE, *JUDGED, 'charades_sta')


def find_run_settings(results_path: Path, adapters: str | os.PathLike | None = None) -> dict:
    """LoRA alpha/rank and training args of ``adapters``, else of the checkpoint the results were written into
    (swift infer's default ``<ckpt>/infer_result/``)."""
    found: dict = {}
    folders = [Path(adapters)] if adapters else list(results_path.resolve().parents)[:3]
    for folder in folders:
        adapter = folder / 'adapter_config.json'
        if adapter.is_file() and 'lora_alpha' not in found:
            config = json.loads(adapter.read_text())
            found.update(lora_alpha=config.get('lora_alpha'), lora_r=config.get('r'), adapters=str(folder))
        args = folder / 'args.json'
        if args.is_file() and 'checkpoint_args' not in found:
            data = json.loads(args.read_text())
            found['checkpoint_args'] = {k: data.get(k) for k in ('model', 'model_type', 'template', 'model_kwargs')
                                        if data.get(k) is not None}
    return found


def settings(manifest: dict, protocol: Protocol, results_path: Path, overrides: dict) -> dict:
    run = find_run_settings(results_path, overrides.get('adapters'))
    values = {
        'model_type': manifest['model_type'], 'template': protocol.template, 'num_frames': protocol.num_frames,
        'sampler': protocol.sampler, 'lora_alpha': run.get('lora_alpha'),
        'lora_r': run.get('lora_r'), 'adapters': run.get('adapters'), 'env': protocol.infer_env(),
    }
    values.update({k: v for k, v in overrides.items() if v is not None and k != 'adapters'})
    if run.get('checkpoint_args'):
        values['checkpoint_args'] = run['checkpoint_args']
    return values


def score(benchmark: str, results: str | os.PathLike, *, manifest: str | os.PathLike | None = None,
          judge=None, judge_rule: str | None = None, retries: int = 2, overrides: dict | None = None) -> dict:
    """The full report of one results file."""
    if benchmark not in BENCHMARKS:
        raise ValueError(f'unknown benchmark {benchmark!r}; benchmarks: {list(BENCHMARKS)}')
    results = Path(results)
    data, items, unmatched = join_results(results, manifest, benchmark)
    if data['benchmark'] != benchmark:
        raise ValueError(f'{results}: its rows were prepared for {data["benchmark"]!r}, not {benchmark!r}')
    protocol = Protocol(**data['protocol']) if data.get('protocol') else get_protocol(data['model_type'], benchmark)
    report: dict = {'benchmark': benchmark, 'subset': data.get('subset'), 'results': str(results),
                    'rows_file': data['rows_file'], 'protocol': dataclasses.asdict(protocol),
                    'settings': settings(data, protocol, results, overrides or {}),
                    'result_rows_matching_no_item': unmatched}
    if benchmark in MULTIPLE_CHOICE:
        from . import multiple_choice

        report['scores'] = getattr(multiple_choice, f'score_{benchmark}')(items, protocol)
    elif benchmark == 'charades_sta':
        report['scores'] = score_grounding(items, protocol)
    else:
        if judge is None:
            raise ValueError(f'{benchmark} is judged by a GPT model: give --judge-model (and --judge-url for a local '
                             'OpenAI-compatible server); a score without its judge is not comparable')
        from . import open_ended

        rule = judge_rule or ('minigpt4_video' if data['model_type'].startswith('minigpt4_video') else 'pllava')
        report['scores'] = getattr(open_ended, f'score_{benchmark}')(items, protocol, judge, rule, retries)
        report['judge'] = {**judge.describe(), 'rule': rule, 'paper_judge': _paper_judge(rule),
                           'prompts': judge_prompt_sources(benchmark, rule, items)}
    report['counts'] = _counts(items, report['scores'])
    report['skipped_items'] = [{'id': i.id, 'video': i.entry.get('video'), 'reason': i.reason}
                               for i in items if i.status == 'skipped']
    report['unanswered_items'] = [{'id': i.id, 'reason': i.reason} for i in items if i.status == 'unanswered']
    return report


def judge_prompt_sources(benchmark: str, rule: str, items: list[ScoredItem]) -> dict[str, str]:
    """Which official prompt (repo@commit, file, object) judged which part of the benchmark."""
    from .judge import official_prompt
    from .open_ended import VCG_DIMENSIONS

    if benchmark == 'vcgbench':
        names = [d for task in sorted({i.task for i in items}) for d in VCG_DIMENSIONS.get(task, ())]
    else:
        names = sorted({i.task for i in items}) if rule == 'pllava' else ['zeroshot']
    return {name: official_prompt(rule, name).source for name in names}


def _paper_judge(rule: str) -> str:
    return 'gpt-3.5-turbo-0125' if rule == 'pllava' else 'gpt-3.5-turbo (unpinned)'


def _counts(items: list[ScoredItem], scores: dict) -> dict:
    return {'items': len(items), 'answered': sum(i.status == 'answered' for i in items),
            'unanswered': sum(i.status == 'unanswered' for i in items),
            'skipped': sum(i.status == 'skipped' for i in items),
            'unparsable': scores.get('unparsable', scores.get('judge_unparsable', 0))}


def score_grounding(items: list[ScoredItem], protocol: Protocol) -> dict:
    """R@1 at IoU 0.3/0.5/0.7 and mIoU over every item (no answer or no span: IoU 0)."""
    from .grounding import evaluate_grounding

    rows = [{'labels': i.answer, 'response': protocol.prediction(i.response)} for i in items]
    result = evaluate_grounding(rows)
    table = {k: v for k, v in result.items() if k.startswith(('R@1', 'mIoU'))}
    return {'table': table, 'unparsable': result['unparsable_predictions'], 'total': result['count']}


def format_table(report: dict) -> str:
    """The paper-style table and the settings, as text."""
    lines = [f'{report["benchmark"]}' + (f' ({report["subset"]})' if report.get('subset') else '') +
             f' — protocol {report["protocol"]["name"]}']
    table = report['scores']['table']
    for name, value in table.items():
        if isinstance(value, dict):
            lines.append(f'  {name:<28}' + '  '.join(f'{k} {v:6.2f}' for k, v in value.items()))
        else:
            lines.append(f'  {name:<28}{value:6.2f}')
    if 'strict_table' in report['scores']:
        lines.append(f'  (strict, over every item: Overall {report["scores"]["strict_table"]["Overall"]:.2f})')
    counts = report['counts']
    lines.append(f'items {counts["items"]}: answered {counts["answered"]}, unanswered {counts["unanswered"]}, '
                 f'skipped (video missing) {counts["skipped"]}, unparsable {counts["unparsable"]}')
    if 'judge' in report:
        judge = report['judge']
        lines.append(f'judge: {judge["model"]} at {judge["base_url"] or "api.openai.com"} (rule {judge["rule"]}; '
                     f'the paper used {judge["paper_judge"]}); asked {judge["asked"]}, cached {judge["from_cache"]}')
    shown = {k: v for k, v in report['settings'].items() if k != 'checkpoint_args'}
    lines.append('settings: ' + json.dumps(shown, sort_keys=True))
    return '\n'.join(lines)
