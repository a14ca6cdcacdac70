"""The token-budget check that runs once when ``swift sft`` / ``swift rlhf`` starts, before the dataset is encoded.

It plans a random sample of the training rows with the run's own template (probe-only videos, see
:mod:`swift_video_ext.tools.plan`) and logs how many exceed ``--max_length`` and what ms-swift will do with them, with
a frame setting that fits. Runs for our model types and templates only. Knobs: ``SWIFT_VIDEO_PLAN_CHECK=0`` turns it
off; ``SWIFT_VIDEO_PLAN_CHECK_ROWS`` rows are checked (default 256; ``-1``: all).
"""

from __future__ import annotations

import functools
import os

from ..logging_utils import get_logger
from .post_import import when_imported

CHECK_ENV = 'SWIFT_VIDEO_PLAN_CHECK'
ROWS_ENV = 'SWIFT_VIDEO_PLAN_CHECK_ROWS'
DEFAULT_ROWS = 256
SFT_MODULE = 'swift.pipelines.train.sft'
_MARK = '_swift_video_ext_budget_check'

logger = get_logger()


def _ours(template, args) -> bool:
    from ..models import MODEL_PACKAGES
    from .template import VideoTemplate

    return isinstance(template, VideoTemplate) or getattr(args, 'model_type', None) in MODEL_PACKAGES


def check_token_budget(template, dataset, args) -> dict | None:
    """Plan a sample of ``dataset`` with ``template``; log the outcome; return the summary (None when skipped)."""
    from ..tools.plan import Planner, choose_rows, describe_plan, judge, suggest, summarize

    if os.environ.get(CHECK_ENV, '1').strip().lower() in ('0', 'false', 'no', 'off'):
        return None
    from swift.utils import is_master

    max_length = getattr(template, 'max_length', None)
    if not is_master() or dataset is None or max_length is None or not hasattr(dataset, '__len__'):
        return None
    if not _ours(template, args):
        return None
    limit = int(os.environ.get(ROWS_ENV, DEFAULT_ROWS))
    indices = choose_rows(len(dataset), limit, seed=getattr(args, 'data_seed', 0) or 0)
    strategy = getattr(args, 'truncation_strategy', None) or 'delete'
    planner = Planner(template)
    plans = planner.plan(dataset, indices)
    judge(plans, max_length, strategy, template)
    summary = summarize(plans, max_length, strategy)
    scope = f'{len(indices)} of {len(dataset)} rows' if len(indices) < len(dataset) else f'all {len(dataset)} rows'
    longest = summary['total_tokens'].get('max', 0)
    status = summary['status']
    if status['dropped'] == status['truncated'] == status['error'] == 0:
        logger.info(f'token budget check ({scope}): every row fits in --max_length {max_length} '
                    f'(longest {longest} tokens)')
        return summary
    flagged = sorted((p for p in plans if p.status != 'ok'), key=lambda p: -p.total_tokens)[:5]
    share = lambda n: f'{n} ({100 * n / len(plans):.1f}%)'  # noqa: E731
    message = [f'token budget check ({scope}): {share(status["dropped"])} would be dropped by ms-swift '
               f'(over --max_length {max_length}, truncation_strategy {strategy}), '
               f'{share(status["truncated"])} truncated, {share(status["error"])} unusable; longest {longest} tokens.']
    if status['dropped'] or status['truncated']:  # a length setting helps only rows that are too long
        suggestion = suggest(planner, dataset, plans, max_length)
        if suggestion.get('frame_setting'):
            (knob, value), = suggestion['frame_setting'].items()
            message.append(f'{knob}={value} fits every checked row (or --max_length '
                           f'{suggestion["max_length_for_all_rows"]}).')
        else:
            message.append(f'--max_length {suggestion["max_length_for_all_rows"]} fits every checked row.')
    message.append('e.g. ' + '; '.join(describe_plan(p) for p in flagged) + ' (row N = line N of a jsonl).')
    message.append('`swift-video plan` lists every row.')
    logger.warning(' '.join(message))
    return summary


def _wrap_encode_dataset(original):
    @functools.wraps(original)
    def _encode_dataset(self, train_dataset, val_dataset, *args, **kwargs):
        try:
            check_token_budget(self.template, train_dataset, self.args)
        except Exception as error:  # noqa: BLE001 - a check must never stop training
            logger.warning(f'token budget check skipped: {type(error).__name__}: {error}')
        return original(self, train_dataset, val_dataset, *args, **kwargs)

    setattr(_encode_dataset, _MARK, True)
    return _encode_dataset


def _wrap_train(original):
    @functools.wraps(original)
    def train(self, trainer, *args, **kwargs):
        try:
            return original(self, trainer, *args, **kwargs)
        finally:
            _write_skip_summary(self, trainer)

    setattr(train, _MARK, True)
    return train


def _write_skip_summary(pipeline, trainer) -> None:
    """Log the skipped-rows summary and write it into the run's output folder (master rank only)."""
    from swift.utils import is_master

    from .bad_samples import write_summary

    if not is_master() or not _ours(getattr(pipeline, 'template', None), getattr(pipeline, 'args', None)):
        return
    try:
        output_dir = getattr(trainer.args, 'output_dir', None) or pipeline.args.output_dir
        path = write_summary(output_dir)
        logger.info(f'skipped-samples summary written to {path}')
    except Exception as error:  # noqa: BLE001 - a report must never hide the training outcome
        logger.warning(f'skipped-samples summary not written: {type(error).__name__}: {error}')


def _patch(module) -> None:
    sft = getattr(module, 'SwiftSft', None)
    if sft is None:
        return
    if not getattr(sft._encode_dataset, _MARK, False):
        sft._encode_dataset = _wrap_encode_dataset(sft._encode_dataset)
    if not getattr(sft.train, _MARK, False):
        sft.train = _wrap_train(sft.train)


def install() -> None:
    """Wrap ``SwiftSft._encode_dataset`` and ``SwiftSft.train`` (now, or once ms-swift's sft module is imported)."""
    when_imported(SFT_MODULE, _patch)
    from . import infer_check

    infer_check.install()  # `swift infer` keeps going past a row it cannot encode
