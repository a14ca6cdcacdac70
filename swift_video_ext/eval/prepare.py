"""Benchmark → ``swift infer`` rows with a model type's evaluation prompt, plus a manifest the scorers read.

``prepare(...)`` writes ``rows.jsonl`` (``--val_dataset`` of ``swift infer``) and ``rows.manifest.json`` beside it:
the benchmark, the protocol (template, frames, answer prompt, source), every item's id/task/reference in row order,
the items left out because their video is missing (named, and counted as wrong by the scorers: never dropped from a
denominator) and the exact ``swift infer`` command line to run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

from .benchmarks import Item, read_benchmark
from .protocols import Protocol, get_protocol

MANIFEST_SUFFIX = '.manifest.json'


def manifest_path(rows_path: str | os.PathLike) -> Path:
    rows_path = Path(rows_path)
    return rows_path.with_name(rows_path.stem + MANIFEST_SUFFIX)


def missing_reason(item: Item) -> str | None:
    """Why an item's video cannot be read (missing file, empty frame folder), or None."""
    path = Path(item.video_path)
    if not path.exists():
        return 'video not found'
    if path.is_dir() and not any(path.iterdir()):
        return 'empty frame folder'
    if path.is_file() and path.stat().st_size == 0:
        return 'empty file'
    return None


def item_row(item: Item, protocol: Protocol) -> dict:
    """The ``swift infer`` row of one item: system (if the protocol sets one), question, reference answer."""
    messages = [] if protocol.system is None else [{'role': 'system', 'content': protocol.system}]
    messages += [{'role': 'user', 'content': protocol.row_text(item.question)},
                 {'role': 'assistant', 'content': item.answer}]
    row: dict = {'messages': messages, 'videos': [item.video]}
    kwargs = {}
    if protocol.answer_prompt:
        kwargs['response_prefix'] = protocol.answer_prompt
    if item.extra.get('subtitles'):
        kwargs['subtitles'] = item.extra['subtitles']
    if kwargs:
        row['chat_template_kwargs'] = kwargs
    return row


def infer_command(model_type: str, protocol: Protocol, rows_path: Path) -> str:
    env = ' '.join(f'{k}={shlex.quote(v)}' for k, v in sorted(protocol.infer_env().items()))
    template = f' --template {protocol.template}' if protocol.template else ''
    swift_type = 'minigpt4_video' if model_type.startswith('minigpt4_video') else model_type
    return (f'{env} swift infer --model <checkpoint or merged export> [--adapters <lora dir>] --model_type '
            f'{swift_type}{template} --val_dataset {rows_path} '
            f'--temperature 0 --max_new_tokens <as the paper> --result_path <results.jsonl>').strip()


def prepare(benchmark: str, data: str | os.PathLike, model_type: str, output: str | os.PathLike, *,
            videos: str | os.PathLike | None = None, subset: str | None = None, tasks: list[str] | None = None,
            limit: int | None = None) -> dict:
    """Write the rows and the manifest; return the manifest (without its item list)."""
    protocol = get_protocol(model_type, benchmark)
    output = Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    options = {'videos': Path(videos).expanduser().resolve() if videos else None, 'subset': subset, 'tasks': tasks,
               'subtitles_dir': output.parent / f'{output.stem}_subtitles'}
    items = read_benchmark(benchmark, Path(data).expanduser().resolve(), **options)
    if limit is not None:
        items = items[:limit]
    rows, entries, skipped = [], [], []
    for item in items:
        entry = {'id': item.id, 'task': item.task, 'question': item.question, 'answer': item.answer,
                 'video': item.video, **item.extra}
        reason = missing_reason(item)
        if reason:
            skipped.append({**entry, 'reason': reason})
            continue
        rows.append(item_row(item, protocol))
        entries.append(entry)
    with open(output, 'w', encoding='utf-8') as f:
        f.writelines(json.dumps(row, ensure_ascii=False) + '\n' for row in rows)
    manifest = {
        'benchmark': benchmark, 'subset': subset, 'tasks': tasks, 'model_type': model_type,
        'protocol': dataclasses.asdict(protocol), 'data': str(Path(data).expanduser().resolve()),
        'rows_file': str(output), 'rows': len(rows), 'items': len(items), 'skipped': skipped,
        'swift_infer': infer_command(model_type, protocol, output),
    }
    with open(manifest_path(output), 'w', encoding='utf-8') as f:
        json.dump({**manifest, 'entries': entries}, f, ensure_ascii=False, indent=1)
    return manifest
