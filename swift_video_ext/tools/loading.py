"""What the planner and the cache filler need from ms-swift: dataset rows and the template a run would use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


def load_rows(datasets: list[str], *, num_proc: int = 1):
    """Rows of ``--dataset`` values exactly as ``swift sft`` loads them (files, registered names, ``#N`` subsets).

    Returns a ``datasets.Dataset`` in ms-swift's standard format (``messages``, ``videos``, ``images`` …).
    """
    from swift.dataset import load_dataset

    from ..registration import register_all

    register_all()  # our datasets' names

    train, _ = load_dataset(datasets, num_proc=num_proc, strict=False)
    return train


@dataclass
class PlanningTemplate:
    """An ms-swift template in training mode, and whether its tokenizer is the model's own (exact text counts)."""

    template: Any
    exact_text: bool
    model_dir: str


def load_template(model_type: str, *, model_dir: str | None = None, template_type: str | None = None,
                  workdir: str | Path | None = None) -> PlanningTemplate:
    """The template ``swift sft --model_type model_type [--model model_dir] [--template template_type]`` builds.

    Without ``model_dir`` a stand-in is written to ``workdir``: the released model's processor geometry (frame size,
    tokens per frame, frame count) with tiny layers and a local tokenizer, so frame and visual-token counts are exact
    and text counts are estimates.
    """
    from swift.model import get_processor
    from swift.template import get_template

    from ..registration import register_all

    register_all()  # our model types and templates

    exact_text = model_dir is not None
    if model_dir is None:
        model_dir = str(_write_standin(model_type, template_type, workdir))
    processor = get_processor(model_dir, model_type=model_type)
    template = get_template(processor, template_type=template_type, truncation_strategy='raise')
    template.set_mode('train')
    return PlanningTemplate(template, exact_text, model_dir)


def _write_standin(model_type: str, template_type: str | None, workdir: str | Path | None) -> Path:
    from ..models import standin_builders

    builders = standin_builders()
    if model_type not in builders:
        raise SystemExit(f'no stand-in for --model_type {model_type!r} (ours: {sorted(builders)}); pass --model DIR')
    if workdir is None:
        raise ValueError('a stand-in needs a workdir')
    return builders[model_type](Path(workdir) / f'standin_{model_type}', template_type)
