"""``swift infer`` on a dataset finishes when a row cannot be encoded (e.g. an unusable video).

ms-swift 4.6's inference engines can keep going past a row whose encode fails (``strict = False``: the failure takes
the row's place in the response list), but ``SwiftInfer._batch_infer`` then reads every entry as a response and the
run aborts without a result file. For our model types this hook runs the engine non-strict during
``_batch_infer``, hands ``_batch_infer`` an empty response for each failed row, and marks that row's result with
``"response": null`` and ``"error": "<source>: <reason>"``; the row is named in a warning and counted with the other
bad samples (:mod:`swift_video_ext.common.bad_samples`). Other rows' results are written as usual. Both changes
to ms-swift (the wrapped ``_batch_infer``, the engine run non-strict) are the seam's ``INFER_KEEP_GOING``.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from ..common import seam
from ..common.bad_samples import BadRowError
from ..logging_utils import get_logger
from ..video import VideoDecodeError
from .scope import ours


def _error_response():
    """What ``_batch_infer`` reads from a response: no text, no logprobs."""
    return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=None), logprobs=None)])


def describe_error(error: Exception) -> str:
    if isinstance(error, (VideoDecodeError, BadRowError)):
        return str(error)
    return f'{type(error).__name__}: {error}'


def _tolerant(engine, failures: dict[int, Exception]):
    """``engine.infer`` run non-strict; failed rows are recorded in ``failures`` and stood in for."""
    original = engine.infer

    @functools.wraps(original)
    def infer(requests, *args, **kwargs):
        with seam.non_strict(engine):
            responses = original(requests, *args, **kwargs)
        if not isinstance(responses, list):  # streaming: left as ms-swift has it
            return responses
        out = []
        for position, response in enumerate(responses):
            if isinstance(response, Exception):
                failures[position] = response
                response = _error_response()
            out.append(response)
        return out

    return infer


def _wrap_batch_infer(original):
    @functools.wraps(original)
    def _batch_infer(self, val_dataset, request_config):
        engine = self.__dict__.get('infer_engine')
        if engine is None or not ours(getattr(engine, 'template', None), getattr(self, 'args', None)):
            return original(self, val_dataset, request_config)
        failures: dict[int, Exception] = {}
        offset = getattr(self, '_swift_video_rows_done', 0)
        with seam.keep_going(engine, _tolerant(engine, failures)):
            results = original(self, val_dataset, request_config)
        self._swift_video_rows_done = offset + len(val_dataset)
        distributed = getattr(getattr(self, 'args', None), 'rank', -1) >= 0
        for position, error in sorted(failures.items()):
            reason = describe_error(error)
            if position < len(results):
                results[position]['response'] = None
                results[position]['error'] = reason
            where = 'a row of this rank' if distributed else f'row {offset + position + 1}'
            get_logger().warning(f'swift infer: {where} cannot be encoded and has no response: {reason}')
        return results

    return _batch_infer


def install() -> None:
    """Wrap ``SwiftInfer._batch_infer`` through the seam (now, or once ms-swift's infer module is imported)."""
    seam.install(seam.INFER_KEEP_GOING, _wrap_batch_infer)
