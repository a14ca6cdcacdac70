"""lmms-eval requests → ms-swift inference inputs (no torch, ms-swift or lmms-eval imports).

lmms-eval hands a simple model ``(context, gen_kwargs, doc_to_visual, doc_id, task, split)``; ``doc_to_visual(doc)``
gives the visuals: video file paths (most video tasks), frame folders, PIL images. Videos stay PATHS here, so our
template samples them with the model type's strategy; images go as images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v', '.flv', '.wmv', '.mpg', '.mpeg', '.3gp', '.ts',
                    '.gif')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
MEDIA_TAGS = ('<video>', '<image>')


class VisualError(ValueError):
    """A visual this plugin cannot hand to the model (names the document and the item)."""


@dataclass
class Visuals:
    """One document's visuals, split for ``InferRequest``: videos as paths, images as paths or PIL images."""

    videos: list[str] = field(default_factory=list)
    images: list[Any] = field(default_factory=list)


def split_visuals(visuals: Any, where: str = '') -> Visuals:
    """``doc_to_visual(doc)`` → :class:`Visuals`.

    A str ending in a video extension, or naming a folder (of frame images), is a video; a str ending in an image
    extension, or a PIL image, is an image; ``None`` is no visual. Anything else (audio dicts, unknown files)
    raises :class:`VisualError` naming ``where`` (e.g. ``mvbench/test/doc 12``).
    """
    if visuals is None:
        return Visuals()
    if not isinstance(visuals, (list, tuple)):
        visuals = [visuals]
    out = Visuals()
    for item in visuals:
        if item is None:
            continue
        if isinstance(item, os.PathLike):
            item = os.fspath(item)
        if isinstance(item, str):
            lower = item.lower().split('?', 1)[0]
            if lower.endswith(VIDEO_EXTENSIONS) or os.path.isdir(item):
                out.videos.append(item)
            elif lower.endswith(IMAGE_EXTENSIONS):
                out.images.append(item)
            else:
                raise VisualError(f'{where}: visual {item!r} is neither a video ({", ".join(VIDEO_EXTENSIONS)}), '
                                  f'a frame folder nor an image')
        elif _is_pil_image(item):
            out.images.append(item)
        else:
            raise VisualError(f'{where}: unsupported visual of type {type(item).__name__} (videos are paths, images '
                              f'paths or PIL images; audio is not supported)')
    return out


def _is_pil_image(item: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(item, Image.Image)


def user_content(context: str, visuals: Visuals) -> str:
    """The user turn: one ``<video>`` per video, then one ``<image>`` per image, then lmms-eval's context.

    A context that already places exactly one ``<image>`` per image and no tags otherwise (interleaved image tasks)
    is kept as it is; otherwise lmms-eval's own tags are removed and ours are put in front, as a ``swift infer`` row
    ``{"content": "<video>question"}`` has them.
    """
    if not visuals.videos and visuals.images and context.count('<image>') == len(visuals.images) \
            and '<video>' not in context:
        return context
    text = context
    for tag in MEDIA_TAGS:
        text = text.replace(tag, '')
    if text != context:
        text = text.strip()
    return '<video>' * len(visuals.videos) + '<image>' * len(visuals.images) + text


@dataclass(frozen=True)
class Generation:
    """lmms-eval ``gen_kwargs`` resolved to ms-swift ``RequestConfig`` fields (hashable: requests group by it).

    ``temperature`` 0 (lmms-eval's default) or ``do_sample: false`` is greedy decoding; ``until`` strings stop the
    generation and are cut from the answer.
    """

    max_tokens: int | None
    temperature: float
    top_p: float | None
    top_k: int | None
    num_beams: int
    repetition_penalty: float | None
    until: tuple[str, ...]

    @classmethod
    def from_gen_kwargs(cls, gen_kwargs: dict | None, default_max_tokens: int | None = None) -> Generation:
        kwargs = dict(gen_kwargs or {})
        until = kwargs.pop('until', None) or ()
        if isinstance(until, str):
            until = (until,)
        if not isinstance(until, (list, tuple)):
            raise ValueError(f"gen_kwargs['until'] must be a string or a list of strings, got {type(until).__name__}")
        temperature = float(kwargs.get('temperature') or 0.0)
        if kwargs.get('do_sample') is False or str(kwargs.get('do_sample')).lower() == 'false':
            temperature = 0.0
        greedy = temperature <= 0
        max_tokens = kwargs.get('max_new_tokens', kwargs.get('max_gen_toks', default_max_tokens))
        return cls(max_tokens=None if max_tokens is None else int(max_tokens), temperature=max(temperature, 0.0),
                   top_p=None if greedy or kwargs.get('top_p') is None else float(kwargs['top_p']),
                   top_k=None if greedy or kwargs.get('top_k') is None else int(kwargs['top_k']),
                   num_beams=int(kwargs.get('num_beams') or 1),
                   repetition_penalty=None if kwargs.get('repetition_penalty') is None
                   else float(kwargs['repetition_penalty']),
                   until=tuple(s for s in until if s))

    def request_config_kwargs(self) -> dict:
        """Keyword arguments of ms-swift's ``RequestConfig`` (non-streaming)."""
        return {'max_tokens': self.max_tokens, 'temperature': self.temperature, 'top_p': self.top_p,
                'top_k': self.top_k, 'num_beams': self.num_beams, 'repetition_penalty': self.repetition_penalty,
                'stop': list(self.until), 'stream': False}

    def cut(self, text: str) -> str:
        """``text`` up to the first of the ``until`` strings (as lmms-eval's own models cut)."""
        for stop in self.until:
            text = text.split(stop, 1)[0]
        return text
