"""MVBench for ``swift eval`` (ms-swift 4.6 → evalscope Native backend) with PLLaVA's evaluation prompt and scoring.

``swift_video_mvbench`` reads MVBench as released (``OpenGVLab/MVBench``) from a local folder::

    <root>/json/<task>.json          [{"video": ..., "question": ..., "candidates": [...], "answer": ...,
                                       "start": s, "end": s (bounded tasks only)}, ...]
    <root>/video/<task folder>/<video>

and sends each row to the ``swift deploy`` server that ``swift eval`` starts, as PLLaVA's ``eval_mvbench`` does
(``tasks/eval/mvbench``): the MVBench system prompt, the video, ``Question: …\\nOptions:\\n(A) …`` +
``" \\nOnly give the best option."``, and the answer prefix ``Best option:(`` as a trailing assistant message, which
ms-swift continues. The reply is scored like PLLaVA's ``check_ans`` (``"(" + reply``; option letter of its first word);
every row counts (an unparsable reply is wrong). With ``--template pllava_eval`` the server builds PLLaVA's prompt
byte for byte.

evalscope's OpenAI client and ms-swift's deploy API cannot carry a ``[start, end]`` segment, so for the bounded tasks
the frames inside the segment are re-encoded into a clip (:func:`cut_segment`) and that clip is sent: the server then
samples within the segment, as PLLaVA's reader does (re-encoding is lossy). ``episodic_reasoning`` (a folder of JPEG
frames) is not sendable as a ``video_url`` and is left out of the default task list.

Importing this module is light. :func:`install` (called by :mod:`swift_video_ext.plugin` once ms-swift's
``eval_args`` is imported) wraps ``EvalArguments.list_eval_dataset``; only that call imports evalscope, registers the
benchmark and applies two compatibility fixes for ms-swift 4.6.0 with current evalscope
(see :func:`_list_eval_dataset` and :func:`_alias_service_eval_type`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..common import seam
from .benchmarks import MVBENCH_TASKS as LAYOUT
from .benchmarks import mvbench_question
from .multiple_choice import pllava_check_ans
from .protocols import MVBENCH_ANSWER_PROMPT, MVBENCH_POST_QUERY, MVBENCH_RETURN_PROMPT, MVBENCH_SYSTEM

BENCHMARK_NAME = 'swift_video_mvbench'
# PLLaVA's MVBench protocol and the released layout: one definition each, in .protocols / .benchmarks.
SYSTEM_MVBENCH = MVBENCH_SYSTEM
POST_QUERY = MVBENCH_POST_QUERY  # joined to the question with a space (Conversation.user_query)
ANSWER_PREFIX = MVBENCH_ANSWER_PROMPT  # the assistant turn starts with it; the model continues after it
RETURN_PREFIX = MVBENCH_RETURN_PROMPT  # put back in front of the reply before scoring


@dataclass(frozen=True)
class MVBenchTask:
    """Where one MVBench task's videos live in the released layout."""

    video_dir: str  # folder under <root>/video/
    bounded: bool = False  # rows carry start/end seconds (the official reader samples only that segment)
    frames: bool = False  # each "video" is a folder of JPEG frames (3 fps), not a file


MVBENCH_TASKS: dict[str, MVBenchTask] = {  # keyed by the json file's stem
    Path(filename).stem: MVBenchTask(folder, bounded=bounded, frames=kind == 'frame')
    for filename, folder, kind, bounded in LAYOUT.values()
}
DEFAULT_TASKS = [name for name, task in MVBENCH_TASKS.items() if not task.frames]


def qa_prompt(question: str, candidates: list[str], answer: str) -> tuple[str, str]:
    """PLLaVA's MVBench user text and ground truth: (``"Question: …\\nOptions:\\n(A) … \\nOnly give…"``, ``"(B) …"``).

    Raises ``ValueError`` when ``answer`` is not one of ``candidates``.
    """
    if answer not in candidates:
        raise ValueError(f'answer {answer!r} is not one of the candidates {candidates!r}')
    text, gt = mvbench_question(question, candidates, answer)
    return f'{text} {POST_QUERY}', gt


check_answer = pllava_check_ans  # PLLaVA's MVBench rule (tasks/eval/mvbench/__init__.py check_ans)


def read_task(root: str, task: str) -> list[dict[str, Any]]:
    """Rows of ``<root>/json/<task>.json`` with ``video_path`` resolved; a clear error names every bad row.

    Raises ``FileNotFoundError`` (annotation file or videos missing: all of them are counted and the first ones
    named) or ``ValueError`` (a row without question/candidates/answer, or an answer not among the candidates).
    """
    spec = MVBENCH_TASKS[task]
    json_path = os.path.join(root, 'json', f'{task}.json')
    if not os.path.isfile(json_path):
        raise FileNotFoundError(f'MVBench annotation file {json_path} not found (expected the released layout '
                                f'<root>/json/<task>.json)')
    with open(json_path, encoding='utf-8') as f:
        rows = json.load(f)
    out, missing = [], []
    for index, row in enumerate(rows):
        try:
            text, gt = qa_prompt(row['question'], [str(c) for c in row['candidates']], str(row['answer']))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f'{json_path} row {index}: {error!r}') from error
        video_path = os.path.join(root, 'video', spec.video_dir, row['video'])
        if not os.path.exists(video_path):
            missing.append(f'row {index}: {video_path}')
        out.append({**row, 'task': task, 'video_path': video_path, 'prompt': text, 'gt': gt, 'row': index})
    if missing:
        raise FileNotFoundError(f'{json_path}: {len(missing)} of {len(rows)} videos not found, e.g. '
                                + '; '.join(missing[:5]))
    return out


def segment_cache_dir() -> Path:
    """Where :func:`cut_segment` writes clips (``$TMPDIR/swift_video_mvbench_segments``)."""
    return Path(tempfile.gettempdir()) / 'swift_video_mvbench_segments'


def cut_segment(src: str, start: float, end: float, out_path: str | Path) -> Path:
    """Re-encode the frames of ``src`` whose time lies in ``[start, end]`` seconds as an H.264 clip at ``out_path``.

    The clip keeps the source's average frame rate; an existing non-empty ``out_path`` is reused. Raises
    ``ValueError`` naming the file when no frame falls in the segment.
    """
    import av

    out_path = Path(out_path)
    if out_path.is_file() and out_path.stat().st_size > 0:
        return out_path
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_suffix('.part.mp4')
    written = 0
    with av.open(src) as source, av.open(str(partial), mode='w') as target:
        video = source.streams.video[0]
        rate = Fraction(video.average_rate or video.guessed_rate or 25).limit_denominator(1001)
        time_base = 1 / rate
        stream = None
        for frame in source.decode(video):
            if frame.time is None or frame.time < start:
                continue
            if frame.time > end:
                break
            if stream is None:
                stream = target.add_stream('libx264', rate=rate)
                stream.width, stream.height = frame.width // 2 * 2, frame.height // 2 * 2
                stream.pix_fmt = 'yuv420p'
                stream.time_base = stream.codec_context.time_base = time_base
                stream.options = {'crf': '18', 'preset': 'veryfast'}
            out = frame.reformat(width=stream.width, height=stream.height, format='yuv420p')
            out.pts, out.time_base = written, time_base
            target.mux(stream.encode(out))
            written += 1
        if stream is not None:
            target.mux(stream.encode())
    if not written:
        partial.unlink(missing_ok=True)
        raise ValueError(f'{src}: no frame between {start} s and {end} s')
    partial.replace(out_path)
    return out_path


def sent_video(record: dict[str, Any]) -> str:
    """The file sent for a row: the video, or for a bounded row its ``[start, end]`` clip (cut on first use)."""
    start, end = record.get('start'), record.get('end')
    if not MVBENCH_TASKS[record['task']].bounded or start is None or end is None:
        return record['video_path']
    source = hashlib.sha1(os.path.realpath(record['video_path']).encode()).hexdigest()[:10]
    name = f'{Path(record["video"]).stem}_{source}_{float(start):g}_{float(end):g}.mp4'
    return str(cut_segment(record['video_path'], float(start), float(end),
                           segment_cache_dir() / record['task'] / name))


def _build_adapter():
    """Define and register the evalscope adapter (evalscope imported here only)."""
    from evalscope.api.benchmark import BenchmarkMeta, VisionLanguageAdapter
    from evalscope.api.dataset import DatasetDict, Sample, build_dataset_from_records
    from evalscope.api.messages import ChatMessageAssistant, ChatMessageUser, ContentText, ContentVideo
    from evalscope.api.metric import Score
    from evalscope.api.registry import register_benchmark
    from evalscope.constants import Tags

    meta = BenchmarkMeta(
        name=BENCHMARK_NAME, pretty_name='MVBench (PLLaVA protocol)', dataset_id='',
        description='MVBench from a local copy of its released layout, with PLLaVA\'s eval_mvbench prompt, answer '
                    'prefix "Best option:(" and check_ans scoring (swift-video-ext).',
        tags=[Tags.MULTI_MODAL, Tags.VIDEO, Tags.MULTIPLE_CHOICE], paper_url='https://arxiv.org/abs/2404.16994',
        subset_list=list(DEFAULT_TASKS), metric_list=['acc'], eval_split='test', system_prompt=SYSTEM_MVBENCH)

    class SwiftVideoMVBenchAdapter(VisionLanguageAdapter):
        """Rows of the released MVBench json files → samples; replies scored by PLLaVA's check_ans."""

        def load(self):
            root = self._benchmark_meta.dataset_id
            if not root or not os.path.isdir(os.path.join(root, 'json')):
                raise FileNotFoundError(
                    f'{BENCHMARK_NAME} reads a local MVBench copy; pass its folder (with json/ and video/), e.g. '
                    f'--eval_dataset_args \'{{"{BENCHMARK_NAME}": {{"dataset_id": "/data/MVBench"}}}}\' '
                    f'(got dataset_id={root!r})')
            subsets = {}
            for task in self.subset_list:
                if task not in MVBENCH_TASKS:
                    raise ValueError(f'unknown MVBench task {task!r}; known: {sorted(MVBENCH_TASKS)}')
                if MVBENCH_TASKS[task].frames:
                    raise ValueError(f'{task}: its videos are JPEG frame folders, which the OpenAI video_url API '
                                     f'of swift deploy cannot carry; evaluate it with swift infer instead')
                subsets[task] = build_dataset_from_records(
                    records=read_task(root, task), sample_fields=self.record_to_sample, name=BENCHMARK_NAME,
                    location=root, limit=self.limit, repeats=self.repeats, shuffle=self.shuffle, seed=self.seed)
            return DatasetDict(subsets), None

        def record_to_sample(self, record: dict[str, Any]) -> Sample:
            video = ContentVideo(video=sent_video(record), format='mp4')
            return Sample(
                input=[ChatMessageUser(content=[video, ContentText(text=record['prompt'])]),
                       ChatMessageAssistant(content=ANSWER_PREFIX)],
                target=record['gt'],
                metadata={'video': record['video'], 'row': record['row'], 'start': record.get('start'),
                          'end': record.get('end')})

        def extract_answer(self, prediction: str, task_state) -> str:
            # Servers that echo the prefix: keep what follows it, as pllava_eval_mvbench.py does.
            if ANSWER_PREFIX in prediction:
                prediction = ''.join(prediction.split(ANSWER_PREFIX)[1:])
            return RETURN_PREFIX + prediction

        def match_score(self, original_prediction: str, filtered_prediction: str, reference: str,
                        task_state) -> Score:
            correct = check_answer(filtered_prediction, reference)
            return Score(value={'acc': float(correct)}, extracted_prediction=filtered_prediction,
                         prediction=original_prediction, main_score_name='acc')

    register_benchmark(meta)(SwiftVideoMVBenchAdapter)


def register() -> bool:
    """Register ``swift_video_mvbench`` with evalscope (idempotent); False when evalscope is not installed."""
    try:
        from evalscope.api.registry import BENCHMARK_REGISTRY
    except ImportError:
        return False
    if not dict.__contains__(BENCHMARK_REGISTRY, BENCHMARK_NAME):  # no lazy resolution of the whole catalogue
        _build_adapter()
    _alias_service_eval_type()
    return True


def _alias_service_eval_type() -> None:
    """ms-swift 4.6.0 ``pipelines/eval/eval.py`` ``get_native_task_cfg`` passes ``EvalType.SERVICE``, which evalscope
    removed in 1.11 (renamed ``OPENAI_API``, the same value): without the alias every Native run fails there. The
    seam's ``EVALSCOPE_SERVICE`` patch."""
    seam.alias_eval_type_service()


def _list_eval_dataset(original, eval_backend: str | None = None) -> dict[str, list[str]]:
    """``EvalArguments.list_eval_dataset`` with our benchmark registered, and without requiring OpenCompass.

    ms-swift 4.6.0 (``arguments/eval_args.py`` ``list_eval_dataset``) lists OpenCompass's datasets for every backend,
    so a missing ``opencompass`` package fails ``--eval_backend Native`` too; installing it (``ms-opencompass``) pins
    ``numpy<2``, which breaks pyarrow/datasets. Here OpenCompass's list is empty unless that backend is asked for.
    """
    register()
    try:
        return original(eval_backend)
    except ImportError as error:
        if eval_backend == 'OpenCompass' or not (error.name or '').startswith('opencompass'):
            raise
    from evalscope.api.registry import BENCHMARK_REGISTRY
    from evalscope.constants import EvalBackend

    datasets = {EvalBackend.NATIVE: sorted(BENCHMARK_REGISTRY.keys()), EvalBackend.OPEN_COMPASS: []}
    try:
        from evalscope.backend.vlm_eval_kit import VLMEvalKitBackendManager

        datasets[EvalBackend.VLM_EVAL_KIT] = sorted(VLMEvalKitBackendManager.list_supported_datasets())
    except ImportError:
        if eval_backend == 'VLMEvalKit':
            raise
    return datasets


def _wrap_list_eval_dataset(original):
    def list_eval_dataset(eval_backend=None):
        return _list_eval_dataset(original, eval_backend)

    return list_eval_dataset


def install(eval_args_module=None) -> None:
    """Wrap ``EvalArguments.list_eval_dataset`` of ms-swift's ``swift.arguments.eval_args`` through the seam (now, or
    once that module is imported; idempotent)."""
    seam.install(seam.EVAL_DATASETS, _wrap_list_eval_dataset)
