"""The checkpoint as ``swift infer`` loads it, answering lmms-eval-style requests (no lmms-eval import here).

:class:`SwiftVideoRunner` builds ms-swift's ``InferArguments`` from the model args (``--adapters`` semantics: a LoRA
checkpoint's ``args.json`` names its base model, model type and template) and the ``swift infer`` engine
(``SwiftInfer``), so prompts, frame sampling and decoding are those of ``swift infer`` on the same rows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..logging_utils import get_logger
from .requests import Generation, Visuals, user_content

logger = get_logger()

# Environment knobs that change what the model sees (docs/knobs.md); recorded when set.
ENV_KNOBS = ('NUM_FRAMES', 'FPS', 'FPS_MIN_FRAMES', 'FPS_MAX_FRAMES', 'VIDEO_STRATEGY', 'VIDEO_START', 'VIDEO_END',
             'VIDEO_MAX_PIXELS', 'VIDEO_SHORTEST_EDGE', 'VIDEO_LOAD_BACKEND', 'VIDEO_SOURCE_FPS', 'COGVLM2_TIMESTAMPS',
             'MAX_SUBTITLE_WORDS', 'SUBTITLE_ROOT', 'PLLAVA_LORA_ALPHA', 'PLLAVA_IMAGE_TOKEN_ID', 'ROOT_IMAGE_DIR')
ON_BAD_VIDEO = ('raise', 'empty')


@dataclass
class Item:
    """One request: lmms-eval's context, its generation settings and the document's visuals; ``where`` names it."""

    context: str
    generation: Generation
    visuals: Visuals
    where: str = ''


class SwiftVideoRunner:
    """A checkpoint loaded through ms-swift, answering :class:`Item` lists in batches of ``max_batch_size``.

    Args:
        pretrained: the model folder or hub id (a merged export, a base model); optional with ``adapters``.
        adapters: LoRA checkpoint folder(s), as ``swift infer --adapters``.
        model_type, template, system, torch_dtype, attn_impl, device_map: as the ``swift infer`` flags; unset ones
            come from the checkpoint's ``args.json`` / the model's defaults.
        model_kwargs: env knobs for this run (``{"NUM_FRAMES": 16}``), exported as ``swift infer --model_kwargs``.
        infer_backend: ``transformers`` (default) or ``vllm``.
        max_batch_size: requests per forward pass (ms-swift batches with left padding).
        max_new_tokens: used when a task's ``gen_kwargs`` sets none.
        on_bad_video: ``raise`` (default: the run stops, naming the document and file) or ``empty`` (the document
            gets an empty answer; each one is counted and named in :attr:`bad_videos` and the log).
    """

    def __init__(self, pretrained: str | None = None, *, adapters: Sequence[str] | str | None = None,
                 model_type: str | None = None, template: str | None = None, system: str | None = None,
                 torch_dtype: str | None = None, attn_impl: str | None = None, device_map: str | None = None,
                 model_kwargs: dict | None = None, infer_backend: str = 'transformers', max_batch_size: int = 1,
                 max_new_tokens: int | None = None, on_bad_video: str = 'raise', **extra_args: Any) -> None:
        if on_bad_video not in ON_BAD_VIDEO:
            raise ValueError(f'on_bad_video must be one of {ON_BAD_VIDEO}, got {on_bad_video!r}')
        adapters = _as_list(adapters)
        if not pretrained and not adapters:
            raise ValueError('give pretrained=<model folder or hub id> and/or adapters=<LoRA checkpoint folder>')
        from swift.arguments import InferArguments
        from swift.pipelines.infer import SwiftInfer

        from ..registration import register_all

        register_all()  # our model types and templates

        values = {'model': pretrained, 'adapters': adapters, 'model_type': model_type, 'template': template,
                  'system': system, 'torch_dtype': torch_dtype, 'attn_impl': attn_impl, 'device_map': device_map,
                  'model_kwargs': model_kwargs or None, 'infer_backend': infer_backend,
                  'max_batch_size': int(max_batch_size), 'max_new_tokens': max_new_tokens, **extra_args}
        self.args = InferArguments(**{k: v for k, v in values.items() if v is not None})
        self.pipeline = SwiftInfer(self.args)
        self.engine = self.pipeline.infer_engine
        self.template = self.pipeline.template
        self.default_max_tokens = max_new_tokens if max_new_tokens is not None else self.args.max_new_tokens
        self.on_bad_video = on_bad_video
        self.bad_videos: list[str] = []
        self.settings = self.describe()
        logger.info(f'lmms-eval model settings: {json.dumps(self.settings, default=str)}')

    def describe(self) -> dict[str, Any]:
        """Everything that changes the numbers: checkpoint, model type, template, frames and sampler, LoRA."""
        from importlib.metadata import version

        import swift

        args = self.args
        sampling = getattr(self.template, 'video_sampling', None)
        return {
            'model': args.model, 'model_type': args.model_type,
            'template': self.template.template_meta.template_type,
            'adapters': [{'path': str(a), **_lora_config(a)} for a in args.adapters],
            'video_sampling': _sampling_fields(sampling),
            'env': {k: os.environ[k] for k in ENV_KNOBS if k in os.environ},
            'system': args.system, 'torch_dtype': str(args.torch_dtype), 'infer_backend': args.infer_backend,
            'max_batch_size': args.max_batch_size, 'on_bad_video': self.on_bad_video,
            'swift_video_ext': version('swift-video-ext'), 'ms_swift': swift.__version__,
        }

    def generate(self, items: Sequence[Item]) -> list[str]:
        """Answers in ``items``' order; requests with the same :class:`Generation` share batches."""
        answers: list[str | None] = [None] * len(items)
        groups: dict[Generation, list[int]] = {}
        for index, item in enumerate(items):
            groups.setdefault(item.generation, []).append(index)
        for generation, indices in groups.items():
            for index, answer in zip(indices, self._generate_group([items[i] for i in indices], generation),
                                     strict=True):
                answers[index] = answer
        return answers

    def _generate_group(self, items: list[Item], generation: Generation) -> list[str]:
        from swift.infer_engine import RequestConfig

        config = generation.request_config_kwargs()
        if config['max_tokens'] is None:
            config['max_tokens'] = self.default_max_tokens
        request_config = RequestConfig(**config)
        requests = [self.infer_request(item) for item in items]
        try:
            responses = self.engine.infer(requests, request_config, use_tqdm=False, **self.pipeline.infer_kwargs)
        except Exception as error:  # noqa: BLE001 - one bad row must not hide which one: retry them one at a time
            if len(requests) == 1:
                return [self._failed(items[0], error)]
            return [self._one(item, request, request_config) for item, request in zip(items, requests, strict=True)]
        return [generation.cut(_text(r)) for r in responses]

    def _one(self, item: Item, request, request_config) -> str:
        try:
            (response,) = self.engine.infer([request], request_config, use_tqdm=False, **self.pipeline.infer_kwargs)
        except Exception as error:  # noqa: BLE001
            return self._failed(item, error)
        return item.generation.cut(_text(response))

    def _failed(self, item: Item, error: Exception) -> str:
        """Raise ``error`` naming the document, or (an unusable video, ``on_bad_video=empty``) count it, answer ''."""
        from ..video import VideoDecodeError

        if not isinstance(error, VideoDecodeError):
            raise RuntimeError(f'{item.where}: generation failed: {error!r}') from error
        if self.on_bad_video == 'raise':
            raise VideoDecodeError(error.source, f"{error.reason} ({item.where}; on_bad_video=empty answers '' "
                                                 'instead)') from error
        self.bad_videos.append(f'{item.where}: {error.source}: {error.reason}')
        logger.warning(f'{item.where}: unusable video {error.source} ({error.reason}); answered empty '
                       f'({len(self.bad_videos)} so far)')
        return ''

    @staticmethod
    def infer_request(item: Item):
        """The ``InferRequest`` of ``item``: one user turn, videos as paths (our template samples them)."""
        from swift.infer_engine import InferRequest

        return InferRequest(messages=[{'role': 'user', 'content': user_content(item.context, item.visuals)}],
                            videos=list(item.visuals.videos), images=list(item.visuals.images))


def _text(response) -> str:
    return response.choices[0].message.content or ''


def _as_list(value: Sequence[str] | str | None) -> list[str]:
    """``adapters``: a list, or one string holding one folder or several separated by ``;``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(';') if part.strip()]
    return [str(v) for v in value]


def _lora_config(adapter: str) -> dict[str, Any]:
    """An adapter folder's LoRA rank, alpha and targets (from ``adapter_config.json``), where present."""
    path = Path(adapter) / 'adapter_config.json'
    if not path.is_file():
        return {}
    config = json.loads(path.read_text())
    keys = ('peft_type', 'r', 'lora_alpha', 'target_modules', 'modules_to_save', 'use_rslora')
    return {k: config[k] for k in keys if k in config}


def _sampling_fields(sampling) -> dict[str, Any] | None:
    if sampling is None:
        return None
    import dataclasses

    return {k: v for k, v in dataclasses.asdict(sampling).items() if v is not None}
