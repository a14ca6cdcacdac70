"""Token-budget planner: per row, the frames and visual/text tokens a template produces, against ``--max_length``.

Rows are encoded by the real ms-swift template in training mode with probe-only videos (frame indices, timestamps and
sizes from the container, zero-filled pixels), so counts are exactly what training will see; only decoding is
skipped. ms-swift's handling of a row over ``max_length`` depends on ``--truncation_strategy``: ``delete`` (the
default) drops it (with lazy tokenization, by silently substituting another row), ``left``/``right`` cut text tokens
(visual tokens are kept). The planner names those rows and suggests the largest frame count at which every row fits.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from ..common.bad_samples import BadRowError
from ..common.template import VideoTemplate, describe_row
from ..video import VideoDecodeError

CHARS_PER_TOKEN = 4.0  # text-token estimate without the model's tokenizer
STATUSES = ('ok', 'truncated', 'dropped', 'error')
PREFERENCE_MODES = ('rlhf', 'kto')  # template modes that encode a chosen and a rejected conversation per row


@dataclass
class RowPlan:
    """One row: frames sampled (all videos + images), visual and text tokens, and ms-swift's verdict."""

    row: int  # 1-based row number: line N of a jsonl file is row N (dataset order as ms-swift loads it)
    source: str  # first video or image, else the start of the first message
    frames: int = 0
    visual_tokens: int = 0
    text_tokens: int = 0
    status: str = 'ok'
    reason: str = ''

    @property
    def index(self) -> int:
        """0-based position in the dataset."""
        return self.row - 1

    @property
    def total_tokens(self) -> int:
        return self.visual_tokens + self.text_tokens

    def as_dict(self) -> dict:
        return {**asdict(self), 'total_tokens': self.total_tokens}


def visual_mask(template, encoded: dict) -> list[bool]:
    """Which tokens of an encoded row are visual features."""
    if isinstance(template, VideoTemplate):
        return template.visual_token_mask(encoded)
    else:  # ms-swift's own templates (e.g. gemma4 on frame images): the processor's media tokens
        ids = {getattr(template.processor, f'{kind}_token_id', None) for kind in ('image', 'video', 'audio')}
        config = getattr(template, 'config', None)
        ids |= {getattr(config, f'{kind}_token_id', None) for kind in ('image', 'video', 'audio')}
    ids.discard(None)
    return [token in ids for token in encoded['input_ids']]


def estimate_text_tokens(tokenizer, text_ids: Sequence[int]) -> int:
    """Text tokens of another tokenizer: special tokens count 1, other text ``CHARS_PER_TOKEN`` characters each."""
    specials = set(tokenizer.all_special_ids)
    plain = [t for t in text_ids if t not in specials]
    return len(text_ids) - len(plain) + math.ceil(len(tokenizer.decode(plain)) / CHARS_PER_TOKEN)


class _FrameCounter:
    """Wraps a template's ``sample_video`` to count the frames of each row."""

    def __init__(self, template):
        self.frames = 0
        self._sample = template.sample_video

    def __call__(self, video):
        sampled = self._sample(video)
        self.frames += len(sampled)
        return sampled


def conversations(row: dict, preference: bool) -> list:
    """What a row trains, as rows a training-mode template encodes: the row, or its chosen and (if any) rejected
    conversation when ``preference`` (DPO, KTO, ... rows: ``rejected_response`` / ``rejected_messages``)."""
    if not preference:
        return [row]
    from swift.template import TemplateInputs

    inputs = TemplateInputs.from_dict(row)
    return [TemplateInputs(chosen=part) for part in (inputs.chosen, inputs.rejected) if part is not None]


def _count(template, inputs, exact_text: bool) -> tuple[int, int, int]:
    """(frames, visual tokens, text tokens) of one conversation; raises what ``template.encode`` raises."""
    counter = None
    if isinstance(template, VideoTemplate):
        counter = _FrameCounter(template)
        template.sample_video = counter
    try:
        encoded = template.encode(inputs)
    finally:
        if counter is not None:
            del template.sample_video
    mask = visual_mask(template, encoded)
    text_ids = [token for token, visual in zip(encoded['input_ids'], mask, strict=True) if not visual]
    text = len(text_ids) if exact_text else estimate_text_tokens(template.tokenizer, text_ids)
    images = inputs.get('images') if isinstance(inputs, dict) else inputs.chosen.images
    return (counter.frames if counter else 0) + len(images or []), sum(mask), text


def plan_row(template, row: dict, index: int, *, exact_text: bool = True, preference: bool = False) -> RowPlan:
    """Encode one row probe-only and count its frames and tokens (no verdict yet).

    With ``preference`` the chosen and the rejected conversation are encoded apart (as ms-swift's DPO encoding
    does, each against ``max_length``) and the longer one counts; ``template`` must be in training mode.
    """
    plan = RowPlan(index + 1, describe_row(row))
    try:
        counts = [_count(template, inputs, exact_text) for inputs in conversations(row, preference)]
    except (VideoDecodeError, BadRowError) as error:
        plan.status, plan.reason = 'error', f'{error.source}: {error.reason}'
        return plan
    except Exception as error:  # noqa: BLE001 - a row ms-swift would skip; report it, keep planning
        plan.status, plan.reason = 'error', f'{type(error).__name__}: {error}'
        return plan
    plan.frames, plan.visual_tokens, plan.text_tokens = max(counts, key=lambda c: c[1] + c[2])
    return plan


def judge(plans: Iterable[RowPlan], max_length: int | None, truncation_strategy: str, template) -> None:
    """Set each counted row's status: ok, truncated (left/right cut text) or dropped (delete, or cannot cut)."""
    can_truncate = truncation_strategy in ('left', 'right') and getattr(template, 'truncatable', True)
    for plan in plans:
        if plan.status == 'error' or max_length is None or plan.total_tokens <= max_length:
            continue
        if can_truncate and plan.visual_tokens < max_length:
            plan.status, plan.reason = 'truncated', f'{plan.total_tokens - max_length} text tokens cut'
        else:
            plan.status, plan.reason = 'dropped', f'{plan.total_tokens} tokens > max_length {max_length}'


class Planner:
    """Plans rows with one template; :meth:`with_frame_count` re-plans at another frame setting."""

    def __init__(self, template, *, exact_text: bool = True):
        self.template = template
        self.exact_text = exact_text

    def plan(self, rows, indices: Sequence[int], progress: bool = False) -> list[RowPlan]:
        """Plans of ``rows[i]`` for each ``i`` in ``indices`` (``rows``: a dataset, list or dict; row ``i + 1``)."""
        template = self.template
        saved = template.max_length, getattr(template, 'decode_pixels', True), template.mode
        preference = template.mode in PREFERENCE_MODES
        template.max_length = None  # count every row, whatever its length
        template.decode_pixels = False
        if preference:
            template.mode = 'train'  # chosen and rejected are planned as two training rows
        try:
            iterator = indices
            if progress:
                from tqdm import tqdm

                iterator = tqdm(indices, desc='planning rows', unit='row')
            return [plan_row(template, rows[int(i)], int(i), exact_text=self.exact_text, preference=preference)
                    for i in iterator]
        finally:
            template.max_length, template.decode_pixels, template.mode = saved

    def with_frame_count(self, rows, indices: Sequence[int], count: int) -> list[RowPlan]:
        """Plans at another frame count (``NUM_FRAMES``, or the cap of ``per_second``/``fps``)."""
        template = self.template
        saved = template.video_sampling
        template.video_sampling = saved.with_frame_count(count)
        try:
            return self.plan(rows, indices)
        finally:
            template.video_sampling = saved


def distribution(values: Sequence[int]) -> dict:
    if not values:
        return {}
    array = np.asarray(values)
    return {'min': int(array.min()), 'p50': int(np.percentile(array, 50)), 'p90': int(np.percentile(array, 90)),
            'p99': int(np.percentile(array, 99)), 'max': int(array.max()), 'mean': round(float(array.mean()), 1)}


def summarize(plans: Sequence[RowPlan], max_length: int | None, truncation_strategy: str) -> dict:
    counted = [p for p in plans if p.status != 'error']
    return {'rows': len(plans), 'max_length': max_length, 'truncation_strategy': truncation_strategy,
            'status': {s: sum(p.status == s for p in plans) for s in STATUSES},
            'frames': distribution([p.frames for p in counted]),
            'visual_tokens': distribution([p.visual_tokens for p in counted]),
            'text_tokens': distribution([p.text_tokens for p in counted]),
            'total_tokens': distribution([p.total_tokens for p in counted])}


def suggest(planner: Planner, rows, plans: Sequence[RowPlan], max_length: int | None) -> dict:
    """The largest frame count at which every row fits, and the ``max_length`` that fits all at the current one."""
    counted = [p for p in plans if p.status != 'error']
    over = [p.index for p in counted if max_length is not None and p.total_tokens > max_length]
    result = {'max_length_for_all_rows': max((p.total_tokens for p in counted), default=0)}
    template = planner.template
    sampling = getattr(template, 'video_sampling', None)
    if not over or sampling is None or sampling.frame_count is None:
        return result
    knob, current = sampling.frame_count_knob, sampling.frame_count
    fits = lambda count: all(p.total_tokens <= max_length for p in planner.with_frame_count(rows, over, count))  # noqa: E731
    if not fits(1):
        at_one = planner.with_frame_count(rows, over, 1)
        same = all(a.total_tokens == p.total_tokens for a, p in zip(at_one, (q for q in counted if q.index in over),
                                                                     strict=True))
        result['frame_setting'] = None
        result['note'] = ('the frame count does not change this model\'s token count; raise --max_length'
                          if same else 'even 1 frame per video does not fit some rows; raise --max_length')
        return result
    low, high = 1, current - 1  # binary search: lengths do not grow when frames are removed
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    result['frame_setting'] = {knob: low}
    return result


def choose_rows(total: int, limit: int | None, seed: int = 0) -> list[int]:
    """All row positions, or ``limit`` of them drawn at random (sorted)."""
    if limit is None or limit < 0 or limit >= total:
        return list(range(total))
    return sorted(random.Random(seed).sample(range(total), limit))


def source_rows(dataset, positions: Sequence[int]) -> list[tuple[int, str]]:
    """For each position of ``dataset`` as ms-swift hands it to training (shuffled, sampled, split), the row it is
    in the dataset as loaded (0-based, the order ``swift-video plan`` numbers) and that row's name: ``row N``, line N
    of its jsonl, or ``row N of <dataset>`` when rows come from several ``--dataset`` values.

    ms-swift shuffles and samples with ``datasets``' index mapping over the loaded rows (every ``--dataset`` in turn,
    each tagged in its ``dataset`` column); a list, or a dataset without the mapping, is in loaded order.
    """
    indices = getattr(dataset, '_indices', None)
    table = getattr(dataset, 'data', None)
    loaded = indices.column(0).to_pylist() if indices is not None else None
    loaded = [int(loaded[p]) if loaded else int(p) for p in positions]
    tags = table.column('dataset') if table is not None and 'dataset' in table.column_names else None
    if tags is None or len(tags.unique()) < 2:
        return [(row, f'row {row + 1}') for row in loaded]
    import pyarrow.compute as pc

    names, first = {}, {}
    for row in loaded:
        names[row] = tag = tags[row].as_py()
        if tag not in first:
            first[tag] = pc.index(tags, tag).as_py()  # the tag's rows are consecutive, from its first
    return [(row, f'row {row - first[names[row]] + 1} of {names[row]}') for row in loaded]


def describe_plan(plan: RowPlan, name: str | None = None) -> str:
    """One line naming a row (``name``, default ``row N``): source, verdict and, for an unusable row, why."""
    name = name or f'row {plan.row}'
    if plan.status == 'error':
        return f'{name} {plan.source}: error ({plan.reason})'
    return (f'{name} {plan.source}: {plan.status}, {plan.total_tokens} tokens, {plan.frames} frames'
            + (f' ({plan.reason})' if plan.reason else ''))


def format_report(summary: dict, plans: Sequence[RowPlan], suggestion: dict, *, top: int = 10,
                  exact_text: bool = True) -> str:
    lines = [f"{summary['rows']} rows, max_length {summary['max_length']}, truncation_strategy "
             f"{summary['truncation_strategy']}: " + ', '.join(f'{n} {s}' for s, n in summary['status'].items())]
    if not exact_text:
        lines.append(f'text tokens are estimates ({CHARS_PER_TOKEN:g} characters per token): pass --model DIR for '
                     'exact counts; frames and visual tokens are exact for the released geometry')
    for name in ('frames', 'visual_tokens', 'text_tokens', 'total_tokens'):
        d = summary[name]
        if d:
            lines.append(f"{name:<14} min {d['min']:>7}  p50 {d['p50']:>7}  p90 {d['p90']:>7}  p99 {d['p99']:>7}  "
                         f"max {d['max']:>7}")
    flagged = sorted((p for p in plans if p.status != 'ok'), key=lambda p: -p.total_tokens)
    if flagged:
        lines.append(f'rows not trained as they are ({len(flagged)}; longest first, --output has all; '
                     'row N = line N of a jsonl, 1-based):')
        for p in flagged[:top]:
            lines.append(f'  {describe_plan(p)}')
    if suggestion.get('frame_setting'):
        (knob, value), = suggestion['frame_setting'].items()
        lines.append(f'suggestion: {knob}={value} fits every row in max_length {summary["max_length"]} '
                     f'(or --max_length {suggestion["max_length_for_all_rows"]} at the current frame count)')
    elif suggestion.get('note'):
        lines.append(f"suggestion: {suggestion['note']} (--max_length {suggestion['max_length_for_all_rows']} fits "
                     'every row)')
    return '\n'.join(lines)
