"""The token-budget check that runs once when ``swift sft`` / ``swift rlhf`` starts, before the dataset is encoded.

It plans a random sample of the training rows with the run's own template (probe-only videos, see
:mod:`swift_video_ext.tools.plan`) and logs how many exceed ``--max_length`` and what ms-swift will do with them, with
a frame setting that fits; rows are named by their line in the jsonl (the dataset as loaded, before ms-swift
shuffles it). Preference rows (DPO, KTO) are planned as their chosen and rejected conversations. Runs for our model
types and templates only. Knobs: ``SWIFT_VIDEO_PLAN_CHECK=0`` turns it off; ``SWIFT_VIDEO_PLAN_CHECK_ROWS`` rows are
checked (default 256; ``-1``: all).

The planning runs in a fresh Python process (:mod:`swift_video_ext.common.isolated`): encoding rows runs torch
ops, and a ``swift`` process whose OpenMP pool has started deadlocks in the ``datasets.map`` workers it forks next
(``--lazy_tokenize false``, ``--dataset_num_proc``, ``swift export --to_cached_dataset``). The template and the
sampled rows are pickled to it.

When no training row can be used, ms-swift ends with ``Failed to retrieve the dataset ... increasing max_length``;
the run ends instead with :class:`NoUsableRowsError`, saying why the rows were unusable.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

from swift.utils import is_master

from ..common import seam
from ..common.bad_samples import summary as skipped_summary
from ..common.bad_samples import write_summary
from ..common.isolated import run_isolated
from ..logging_utils import get_logger
from ..tools.plan import Planner, choose_rows, describe_plan, judge, source_rows, suggest, summarize
from . import infer_check
from .scope import ours as _ours

CHECK_ENV = 'SWIFT_VIDEO_PLAN_CHECK'
ROWS_ENV = 'SWIFT_VIDEO_PLAN_CHECK_ROWS'
DEFAULT_ROWS = 256
TIMEOUT_S = 900  # the check's own process: start-up (torch, ms-swift imports) and planning
MS_SWIFT_NO_ROW = 'Failed to retrieve the dataset'  # ms-swift's message when every row it tried failed

logger = get_logger()
_last_check: dict | None = None  # this process's check result (its unusable rows explain an empty dataset)


class NoUsableRowsError(ValueError):
    """No training row could be encoded; the message says why (our count of skipped rows and the check's)."""


@dataclass
class CheckRequest:
    """What the check's process needs: the run's template (its ``model`` left out), the sampled rows keyed by their
    0-based position in the dataset as loaded, their names, and the run's length settings."""

    template: Any
    rows: dict[int, dict]
    names: dict[int, str]
    total: int
    max_length: int
    strategy: str
    messages: list[tuple[str, str]] = field(default_factory=list)  # (level, text), filled by the check


def check_token_budget(template, dataset, args) -> dict | None:
    """Plan a sample of ``dataset`` with ``template`` in a fresh process; log the outcome; return the summary
    (with ``unusable``: name and reason per unusable row), None when skipped."""
    global _last_check
    if os.environ.get(CHECK_ENV, '1').strip().lower() in ('0', 'false', 'no', 'off'):
        return None
    max_length = getattr(template, 'max_length', None)
    if not is_master() or dataset is None or max_length is None or not hasattr(dataset, '__len__'):
        return None
    if not _ours(template, args):
        return None
    limit = int(os.environ.get(ROWS_ENV, DEFAULT_ROWS))
    positions = choose_rows(len(dataset), limit, seed=getattr(args, 'data_seed', 0) or 0)
    rows, names = {}, {}
    for position, (row, name) in zip(positions, source_rows(dataset, positions), strict=True):
        if row not in rows:  # a row sampled twice is planned once
            rows[row], names[row] = dataset[position], name
    strategy = getattr(args, 'truncation_strategy', None) or 'delete'
    model = getattr(template, 'model', None)
    template.model = None  # never pickle the model
    try:
        request = CheckRequest(template, rows, names, len(dataset), max_length, strategy)
        result = run_isolated(f'{__name__}:plan_sample', request, timeout=TIMEOUT_S)
    finally:
        template.model = model
    for level, text in result.pop('messages'):
        getattr(logger, level)(text)
    _last_check = result
    return result


def plan_sample(request: CheckRequest) -> dict:
    """The check itself (in its own process): plan ``request.rows``; the summary, with the messages to log."""
    rows, names, max_length, strategy = request.rows, request.names, request.max_length, request.strategy
    planner = Planner(request.template)
    plans = planner.plan(rows, sorted(rows))
    judge(plans, max_length, strategy, planner.template)
    summary = summarize(plans, max_length, strategy)
    summary['unusable'] = [(names[p.index], p.source, p.reason) for p in plans if p.status == 'error']
    summary['messages'] = messages = []
    scope = f'{len(plans)} of {request.total} rows' if len(plans) < request.total else f'all {request.total} rows'
    longest = summary['total_tokens'].get('max', 0)
    status = summary['status']
    if status['dropped'] == status['truncated'] == status['error'] == 0:
        messages.append(('info', f'token budget check ({scope}): every row fits in --max_length {max_length} '
                                 f'(longest {longest} tokens)'))
        return summary
    flagged = sorted((p for p in plans if p.status != 'ok'), key=lambda p: -p.total_tokens)[:5]
    share = lambda n: f'{n} ({100 * n / len(plans):.1f}%)'  # noqa: E731
    message = [f'token budget check ({scope}): {share(status["dropped"])} would be dropped by ms-swift '
               f'(over --max_length {max_length}, truncation_strategy {strategy}), '
               f'{share(status["truncated"])} truncated, {share(status["error"])} unusable; longest {longest} tokens.']
    if status['dropped'] or status['truncated']:  # a length setting helps only rows that are too long
        suggestion = suggest(planner, rows, plans, max_length)
        if suggestion.get('frame_setting'):
            (knob, value), = suggestion['frame_setting'].items()
            message.append(f'{knob}={value} fits every checked row (or --max_length '
                           f'{suggestion["max_length_for_all_rows"]}).')
        else:
            message.append(f'--max_length {suggestion["max_length_for_all_rows"]} fits every checked row.')
    message.append('e.g. ' + '; '.join(describe_plan(p, names[p.index]) for p in flagged)
                   + ' (row N = line N of its jsonl).')
    message.append('`swift-video plan` lists every row.')
    messages.append(('warning', ' '.join(message)))
    return summary


def no_usable_rows_error(context: str = '') -> NoUsableRowsError | None:
    """Why no training row could be used, from the rows skipped in this process and the check's unusable rows
    (grouped by reason); None when neither says anything. ``context``: what ms-swift said, if anything."""
    counted = skipped_summary()
    unusable = (_last_check or {}).get('unusable', [])
    parts = []
    if counted['rows_skipped']:
        files = '; '.join(f'{source}: {info["reason"]}' for source, info in list(counted['files'].items())[:3])
        parts.append(f'{counted["rows_skipped"]} rows tried were unusable ({files})')
    if counted['rows_over_max_length']:
        parts.append(f'{counted["rows_over_max_length"]} rows tried were longer than --max_length')
    if unusable:
        by_reason: dict[str, list[str]] = {}
        for name, source, reason in unusable:
            by_reason.setdefault(reason, []).append(f'{name} {source}')
        reasons = '; '.join(f'{reason}: {", ".join(rows[:3])}' + (f' and {len(rows) - 3} more' if len(rows) > 3 else '')
                            for reason, rows in list(by_reason.items())[:3])
        checked = sum(_last_check['status'].values())
        parts.append(f'the check at the start found {len(unusable)} of {checked} checked rows unusable ({reasons})')
    if not parts:
        return None
    return NoUsableRowsError(f'no training row could be used{context}: ' + '; '.join(parts)
                             + '. Fix or remove those rows; `swift-video plan` lists every row with its reason.')


def _explained(error: Exception) -> Exception:
    """``error``, or our account when it is ms-swift's "no row could be retrieved"."""
    if isinstance(error, NoUsableRowsError) or MS_SWIFT_NO_ROW not in str(error):
        return error
    return no_usable_rows_error(f' (ms-swift: "{MS_SWIFT_NO_ROW}")') or error


def _wrap_encode_dataset(original):
    @functools.wraps(original)
    def _encode_dataset(self, train_dataset, val_dataset, *args, **kwargs):
        try:
            check_token_budget(self.template, train_dataset, self.args)
        except Exception as error:  # noqa: BLE001 - a check must never stop training
            logger.warning(f'token budget check skipped: {type(error).__name__}: {error}')
        datasets = original(self, train_dataset, val_dataset, *args, **kwargs)
        if train_dataset is not None and hasattr(train_dataset, '__len__') and len(train_dataset) and (
                datasets[0] is None or len(datasets[0]) == 0):  # encoded up front, every row dropped
            error = no_usable_rows_error(' (ms-swift dropped every row while encoding the dataset)')
            if error is not None:
                raise error
        return datasets

    return _encode_dataset


def _wrap_prepare_dataset(original):
    @functools.wraps(original)
    def _prepare_dataset(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except ValueError as error:
            explained = _explained(error)
            if explained is error:
                raise
            raise explained from None  # ms-swift's "increase max_length" would mislead: ours is the last word

    return _prepare_dataset


def _wrap_train(original):
    @functools.wraps(original)
    def train(self, trainer, *args, **kwargs):
        try:
            return original(self, trainer, *args, **kwargs)
        except ValueError as error:
            explained = _explained(error)
            if explained is error:
                raise
            raise explained from None
        finally:
            _write_skip_summary(self, trainer)

    return train


def _write_skip_summary(pipeline, trainer) -> None:
    """Log the skipped-rows summary and write it into the run's output folder (master rank only)."""
    if not is_master() or not _ours(getattr(pipeline, 'template', None), getattr(pipeline, 'args', None)):
        return
    try:
        output_dir = getattr(trainer.args, 'output_dir', None) or pipeline.args.output_dir
        path = write_summary(output_dir)
        logger.info(f'skipped-samples summary written to {path}')
    except Exception as error:  # noqa: BLE001 - a report must never hide the training outcome
        logger.warning(f'skipped-samples summary not written: {type(error).__name__}: {error}')


def install() -> None:
    """Wrap ``SwiftSft._encode_dataset``, ``_prepare_dataset`` and ``train`` through the seam (now, or once ms-swift's
    sft module is imported), and make ``swift infer`` keep going past a row it cannot encode."""
    seam.install(seam.SFT_ENCODE_DATASET, _wrap_encode_dataset)
    seam.install(seam.SFT_PREPARE_DATASET, _wrap_prepare_dataset)
    seam.install(seam.SFT_TRAIN, _wrap_train)
    infer_check.install()
