"""``swift infer`` results joined back to the benchmark items of a prepared rows file.

ms-swift keeps each row's ``messages``, ``videos`` and ``dataset`` (the ``--val_dataset`` path) in the result file but
drops other keys, so the manifest written by :func:`~swift_video_ext.eval.prepare.prepare` next to the rows file holds
the item ids, tasks and references. Results are matched to items by their question text and video (in order for
repeats), so a result file in another order, or a subset, still joins correctly. Every manifest item ends up in one
of: answered (a response), unanswered (``swift infer`` could not encode the row: ``response`` null, or no result row
for it), or skipped at prepare time (its video was missing).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from .prepare import manifest_path


@dataclass
class ScoredItem:
    """A manifest entry with the model's raw ``response`` (None: no answer) and why there is none."""

    entry: dict
    response: str | None
    status: str  # 'answered' | 'unanswered' | 'skipped'
    reason: str = ''

    @property
    def id(self) -> str:
        return self.entry['id']

    @property
    def task(self) -> str:
        return self.entry['task']

    @property
    def answer(self) -> str:
        return self.entry['answer']


def load_results(path: str | os.PathLike) -> list[dict]:
    """Rows of a ``swift infer`` result jsonl; a malformed line is an error naming its number."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}:{number}: not a JSON line ({error})') from None
    return rows


def _user_text(messages: list[dict]) -> str:
    return next((m.get('content') or '' for m in messages if m.get('role') == 'user'), '')


def row_key(messages: list[dict], videos: list | None) -> tuple:
    """What identifies a row across prepare → swift infer: its (first) question text and its videos."""
    return _user_text(messages), tuple(str(v) for v in (videos or []))


def _dataset_path(dataset: str, results_path: Path) -> Path | None:
    """The rows file a result row names (as given to swift infer: absolute, or relative to where it ran)."""
    for base in (Path.cwd(), results_path.parent):
        candidate = base / str(dataset)
        if manifest_path(candidate).is_file():
            return candidate.resolve()
    return None


def find_manifest(results: list[dict], results_path: Path, benchmark: str | None) -> Path:
    """The manifest of the rows file (of ``benchmark``) the result rows came from."""
    found = {}
    for dataset in {row.get('dataset') for row in results if row.get('dataset')}:
        rows_file = _dataset_path(dataset, results_path)
        if rows_file is not None:
            found[rows_file] = load_manifest(manifest_path(rows_file))
    chosen = [rows for rows, data in found.items() if benchmark is None or data['benchmark'] == benchmark]
    if len(chosen) == 1:
        return manifest_path(chosen[0])
    what = f'{benchmark} ' if benchmark else ''
    if not chosen:
        raise FileNotFoundError(f'{results_path}: no {what}rows file with a manifest among its rows\' datasets '
                                f'({sorted(str(d) for d in found) or "none found"}); pass --manifest')
    raise ValueError(f'{results_path}: rows of several {what}rows files ({[str(c) for c in chosen]}); pass --manifest')


def load_manifest(path: str | os.PathLike) -> dict:
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def join_results(results_path: str | os.PathLike, manifest: str | os.PathLike | None = None,
                 benchmark: str | None = None) -> tuple[dict, list[ScoredItem], list[int]]:
    """(manifest, one ScoredItem per benchmark item, line numbers of its rows file's results that match no item).

    A result file of one ``swift infer`` run over several prepared rows files is fine: only the rows of this
    manifest's rows file are read.
    """
    results_path = Path(results_path)
    results = load_results(results_path)
    manifest_file = Path(manifest) if manifest is not None else find_manifest(results, results_path, benchmark)
    data = load_manifest(manifest_file)
    own = Path(data['rows_file']).resolve()
    numbered = [(n, r) for n, r in enumerate(results, start=1)
                if not r.get('dataset') or _dataset_path(r['dataset'], results_path) in (own, None)]
    rows = [json.loads(line) for line in Path(data['rows_file']).read_text(encoding='utf-8').splitlines()
            if line.strip()] if Path(data['rows_file']).is_file() else None
    if rows is None or len(rows) != len(data['entries']):
        raise ValueError(f'{manifest_file}: its rows file {data["rows_file"]} is missing or changed since prepare')
    slots: dict[tuple, deque[int]] = defaultdict(deque)
    for index, row in enumerate(rows):
        slots[row_key(row['messages'], row.get('videos'))].append(index)
    responses: dict[int, dict] = {}
    unmatched = []
    for number, result in numbered:
        key = row_key(result.get('messages') or [], result.get('videos'))
        if slots.get(key):
            responses[slots[key].popleft()] = result
        else:
            unmatched.append(number)
    scored = []
    for index, entry in enumerate(data['entries']):
        result = responses.get(index)
        if result is None:
            scored.append(ScoredItem(entry, None, 'unanswered', 'no result row'))
        elif result.get('response') is None:
            scored.append(ScoredItem(entry, None, 'unanswered', result.get('error') or 'no response'))
        else:
            scored.append(ScoredItem(entry, result['response'], 'answered'))
    for entry in data['skipped']:
        scored.append(ScoredItem(entry, None, 'skipped', entry.get('reason', '')))
    return data, scored, unmatched
