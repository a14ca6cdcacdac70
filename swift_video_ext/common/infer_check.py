"""``swift infer`` on a dataset finishes when a row cannot be encoded (e.g. an unusable video).

ms-swift 4.6's inference engines can keep going past a row whose encode fails (``strict = False``: the failure takes
the row's place in the response list), but ``SwiftInfer._batch_infer`` then reads every entry as a response and the
run aborts without a result file. For our model types this hook runs the engine non-strict during
``_batch_infer``, hands ``_batch_infer`` an empty response for each failed row, and marks that row's result with
``"response": null`` and ``"error": "<source>: <reason>"``; the row is named in a warning and counted with the other
bad samples (:mod:`.bad_samples`). Other rows' results are written as usual.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from ..logging_utils import get_logger
from .post_import import when_imported

INFER_MODULE = 'swift.pipelines.infer.infer'
_MARK = '_swift_video_ext_tolerant_infer'


def _error_response():
    """What ``_batch_infer`` reads from a response: no text, no logprobs."""
    return SimpleNamespace(choices=[SimpleNamespace(message=SimpleNamespace(content=None), logprobs=None)])


def describe_error(error: Exception) -> str:
    from ..video import VideoDecodeError
    from .bad_samples import BadRowError

    if isinstance(error, (VideoDecodeError, BadRowError)):
        return str(error)
    return f'{type(error).__name__}: {error}'


def _tolerant(engine, failures: dict[int, Exception]):
    """``engine.infer`` run non-strict; failed rows are recorded in ``failures`` and stood in for."""
    original = engine.infer

    @functools.wraps(original)
    def infer(requests, *args, **kwargs):
        saved = getattr(engine, 'strict', True)
        engine.strict = False
        try:
            responses = original(requests, *args, **kwargs)
        finally:
            engine.strict = saved
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
        from .train_check import _ours

        engine = self.__dict__.get('infer_engine')
        if engine is None or not _ours(getattr(engine, 'template', None), getattr(self, 'args', None)):
            return original(self, val_dataset, request_config)
        failures: dict[int, Exception] = {}
        offset = getattr(self, '_swift_video_rows_done', 0)
        engine.infer = _tolerant(engine, failures)
        try:
            results = original(self, val_dataset, request_config)
        finally:
            del engine.infer  # back to the class's method
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

    setattr(_batch_infer, _MARK, True)
    return _batch_infer


def _patch(module) -> None:
    infer = getattr(module, 'SwiftInfer', None)
    if infer is None or getattr(infer._batch_infer, _MARK, False):
        return
    infer._batch_infer = _wrap_batch_infer(infer._batch_infer)


def install() -> None:
    """Wrap ``SwiftInfer._batch_infer`` (now, or once ms-swift's infer module is imported)."""
    when_imported(INFER_MODULE, _patch)
