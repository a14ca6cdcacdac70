"""The lmms-eval model ``swift_video``: our checkpoints, templates and video sampler inside lmms-eval.

``lmms-eval --model swift_video --model_args pretrained=DIR[,adapters=CKPT][,model_type=T][,template=T] ...``;
every other ``key=value`` is a ``swift infer`` argument (``system``, ``torch_dtype``, ``attn_impl``, ``device_map``,
``infer_backend``, ``max_new_tokens``, ``on_bad_video``), and UPPER_CASE keys are env knobs
(``NUM_FRAMES=16``, passed as ``--model_kwargs``). See docs/evaluate-lmms-eval.md.
"""

from __future__ import annotations

import json
from typing import Any

from lmms_eval.api.instance import Instance
from lmms_eval.api.model import lmms

from ..logging_utils import get_logger
from .requests import Generation, split_visuals
from .runner import Item, SwiftVideoRunner

logger = get_logger()


class SwiftVideoLMM(lmms):
    """A simple (non-chat) lmms-eval model: ``generate_until`` hands each document's video paths to our template.

    ``settings`` holds what changes the numbers (model type, template, frames and sampler, adapters with their LoRA
    rank and alpha, env knobs); it is logged at start and, with ``settings_path=FILE``, written as JSON.
    """

    is_simple = True

    def __init__(self, pretrained: str | None = None, adapters: str | None = None, batch_size: int | str = 1,
                 max_batch_size: int | None = None, device: str | None = None, model_kwargs: Any = None,
                 settings_path: str | None = None, **kwargs: Any) -> None:
        super().__init__()
        knobs = {k: v for k, v in kwargs.items() if k.isupper()}
        swift_args = {k: v for k, v in kwargs.items() if not k.isupper()}
        if isinstance(model_kwargs, str):
            model_kwargs = json.loads(model_kwargs)
        model_kwargs = {**(model_kwargs or {}), **knobs}
        if device and 'device_map' not in swift_args:
            swift_args['device_map'] = device
        self.runner = SwiftVideoRunner(pretrained=pretrained, adapters=adapters, model_kwargs=model_kwargs,
                                       max_batch_size=_batch_size(batch_size, max_batch_size), **swift_args)
        self.settings = self.runner.settings
        if settings_path:
            from pathlib import Path

            Path(settings_path).parent.mkdir(parents=True, exist_ok=True)
            Path(settings_path).write_text(json.dumps(self.settings, indent=2, default=str) + '\n')

    def generate_until(self, requests: list[Instance]) -> list[str]:
        items = [self._item(request) for request in requests]
        answers = self.runner.generate(items)
        for request, answer in zip(requests, answers, strict=True):
            self.cache_hook.add_partial('generate_until', (request.args[0], request.args[1]), answer)
        if self.runner.bad_videos:
            logger.warning(f'{len(self.runner.bad_videos)} document(s) answered empty for an unusable video: '
                           + '; '.join(self.runner.bad_videos))
        return answers

    def _item(self, request: Instance) -> Item:
        context, gen_kwargs, doc_to_visual, doc_id, task, split = request.args[:6]
        where = f'{task}/{split}/doc {doc_id}'
        visuals = doc_to_visual(self.task_dict[task][split][doc_id]) if doc_to_visual is not None else None
        return Item(context=context, visuals=split_visuals(visuals, where),
                    generation=Generation.from_gen_kwargs(gen_kwargs), where=where)

    def loglikelihood(self, requests: list[Instance]) -> list[tuple[float, bool]]:
        raise NotImplementedError('swift_video answers generate_until tasks only (every lmms-eval video task is one); '
                                  'loglikelihood / multiple_choice output types are not implemented')

    def generate_until_multi_round(self, requests: list[Instance]) -> list[str]:
        raise NotImplementedError('swift_video does not implement multi-round generation')


def _batch_size(batch_size: int | str | None, max_batch_size: int | None) -> int:
    """lmms-eval's ``--batch_size`` (``N``, ``auto``, ``auto:N``) → ms-swift's ``max_batch_size``."""
    text = str(batch_size if batch_size is not None else 1)
    if text.isdigit():
        return max(int(text), 1)
    if text.startswith('auto'):
        size = int(max_batch_size or (text.split(':', 1)[1] if ':' in text else 1))
        logger.warning(f'batch_size={text}: no automatic batch sizing here; using {size}')
        return size
    raise ValueError(f'batch_size must be N, auto or auto:N, got {batch_size!r}')
