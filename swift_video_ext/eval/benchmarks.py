"""Readers of the benchmarks' own released annotation files (local folders; nothing is downloaded).

Each reader returns :class:`Item` objects in the benchmark's order. Paths are resolved now; a missing video is not an
error here — :mod:`.prepare` names and counts it. Layouts (``--data`` is the released folder):

- ``mvbench`` (OpenGVLab/MVBench): ``json/<task>.json`` (``video``, ``question``, ``candidates``, ``answer``,
  optional ``start``/``end``) and ``video/<source>/…`` per task as in PLLaVA ``tasks/eval/mvbench`` ``data_list_info``;
  the question is PLLaVA's ``qa_template`` (``Question: …\\nOptions:\\n(A) …``), the answer ``(A) text``.
- ``videomme`` (lmms-lab/Video-MME): ``videomme/test-*.parquet`` (or a ``.json``/``.jsonl`` with the same columns:
  ``videoID``, ``question_id``, ``duration``, ``domain``, ``task_type``, ``question``, ``options``, ``answer``) and
  ``data/<videoID>.mp4``.
- ``tvqa`` (as MiniGPT4-Video evaluates it): ``tvqa_val.json`` (``q``, ``a0``…``a4``, ``answer_idx``, ``vid_name``,
  ``show_name``), frame folders ``<videos>/<show>_frames/<vid_name>/`` (3 fps) and
  ``tvqa_preprocessed_subtitles.json`` (``[{vid_name, sub: [{start, end, text}]}]``).
- ``vcgbench`` (Video-ChatGPT): ``Benchmarking_QA/{generic,temporal,consistency}_qa.json`` (``Q``/``A`` or
  ``Q1``/``Q2``/``A``, ``video_name``) and ``Test_Videos/<video_name>.<ext>``.
- ``videoqa`` (zero-shot open-ended QA, ``--subset msvd|msrvtt|activitynet|tgif``): Video-ChatGPT's
  ``test_q.json`` + ``test_a.json`` pairs (PLLaVA ``VideoQABenchDataset``; ActivityNet names get ``v_``), or one json
  list with ``question``, ``answer`` and ``video_id``/``video_name``/``gif_name`` (MiniGPT4-Video).
- ``charades_sta``: ``charades_sta_test.txt`` (``<vid> <start> <end>##<sentence>``) and ``Charades_v1_480/``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..video.fragment import with_time_fragment

VIDEO_EXTENSIONS = ('mp4', 'mkv', 'avi', 'webm', 'mov', 'gif', 'm4v')


@dataclass
class Item:
    """One benchmark question (a row to answer; VCGBench consistency items give two rows)."""

    id: str  # unique within the benchmark
    task: str  # MVBench task, Video-MME duration/task, VCGBench set, QA subset
    video: str  # local path (``#t=start,end`` for a bounded item) or frame folder
    question: str  # the question as the protocol's {question} (options included for multiple choice)
    answer: str  # the reference, in the form the official scorer compares with
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. options, the second question, subtitles

    @property
    def video_path(self) -> str:
        return self.video.split('#t=')[0]


def _load_json(path: Path) -> Any:
    try:
        with open(path, encoding='utf-8') as f:
            if path.suffix == '.jsonl':
                return [json.loads(line) for line in f if line.strip()]
            return json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f'{path}: annotation file not found') from None
    except json.JSONDecodeError as error:
        raise ValueError(f'{path}: not valid JSON ({error})') from None


def _field(row: dict, key: str, where: str) -> Any:
    if key not in row:
        raise ValueError(f'{where}: no {key!r} field (fields: {sorted(row)})')
    return row[key]


def find_video(folder: Path, name: str) -> Path:
    """``folder/name`` if it exists, else ``folder/name.<ext>`` for the usual extensions (first found), else the
    ``.mp4`` path (reported missing later)."""
    direct = folder / name
    if direct.exists():
        return direct
    for ext in VIDEO_EXTENSIONS:
        candidate = folder / f'{name}.{ext}'
        if candidate.exists():
            return candidate
    return folder / f'{name}.mp4'


# ---------------------------------------------------------------------------------------------------- MVBench
# task → (json file, video folder under video/, data type, bounded); PLLaVA tasks/eval/mvbench data_list_info.
MVBENCH_TASKS: dict[str, tuple[str, str, str, bool]] = {
    'Action Sequence': ('action_sequence.json', 'star/Charades_v1_480', 'video', True),
    'Action Prediction': ('action_prediction.json', 'star/Charades_v1_480', 'video', True),
    'Action Antonym': ('action_antonym.json', 'ssv2_video', 'video', False),
    'Fine-grained Action': ('fine_grained_action.json', 'Moments_in_Time_Raw/videos', 'video', False),
    'Unexpected Action': ('unexpected_action.json', 'FunQA_test/test', 'video', False),
    'Object Existence': ('object_existence.json', 'clevrer/video_validation', 'video', False),
    'Object Interaction': ('object_interaction.json', 'star/Charades_v1_480', 'video', True),
    'Object Shuffle': ('object_shuffle.json', 'perception/videos', 'video', False),
    'Moving Direction': ('moving_direction.json', 'clevrer/video_validation', 'video', False),
    'Action Localization': ('action_localization.json', 'sta/sta_video', 'video', True),
    'Scene Transition': ('scene_transition.json', 'scene_qa/video', 'video', False),
    'Action Count': ('action_count.json', 'perception/videos', 'video', False),
    'Moving Count': ('moving_count.json', 'clevrer/video_validation', 'video', False),
    'Moving Attribute': ('moving_attribute.json', 'clevrer/video_validation', 'video', False),
    'State Change': ('state_change.json', 'perception/videos', 'video', False),
    'Fine-grained Pose': ('fine_grained_pose.json', 'nturgbd', 'video', False),
    'Character Order': ('character_order.json', 'perception/videos', 'video', False),
    'Egocentric Navigation': ('egocentric_navigation.json', 'vlnqa', 'video', False),
    'Episodic Reasoning': ('episodic_reasoning.json', 'tvqa/frames_fps3_hq', 'frame', True),
    'Counterfactual Inference': ('counterfactual_inference.json', 'clevrer/video_validation', 'video', False),
}


def mvbench_question(question: str, candidates: list[str], answer: str) -> tuple[str, str]:
    """PLLaVA ``MVBenchDataset.qa_template``: (``Question: …\\nOptions:\\n(A) c…``, ``(X) answer``)."""
    lines = [f'Question: {question}', 'Options:']
    answer_index = -1
    for index, candidate in enumerate(candidates):
        lines.append(f'({chr(ord("A") + index)}) {candidate}')
        if candidate == answer:
            answer_index = index
    return '\n'.join(lines).rstrip(), f'({chr(ord("A") + answer_index)}) {answer}'


def read_mvbench(data: Path, videos: Path | None = None, tasks: list[str] | None = None, **_) -> list[Item]:
    videos = videos or data / 'video'
    chosen = tasks or list(MVBENCH_TASKS)
    unknown = [t for t in chosen if t not in MVBENCH_TASKS]
    if unknown:
        raise ValueError(f'unknown MVBench task(s) {unknown}; tasks: {list(MVBENCH_TASKS)}')
    items = []
    for task in chosen:
        filename, folder, _kind, bounded = MVBENCH_TASKS[task]
        path = data / 'json' / filename
        for number, row in enumerate(_load_json(path)):
            where = f'{path}[{number}]'
            question, answer = mvbench_question(_field(row, 'question', where), _field(row, 'candidates', where),
                                                _field(row, 'answer', where))
            video = str(videos / folder / _field(row, 'video', where))
            if bounded and 'start' in row and 'end' in row:
                video = with_time_fragment(video, float(row['start']), float(row['end']))
            items.append(Item(f'{Path(filename).stem}/{number}', task, video, question, answer,
                              {'candidates': row['candidates']}))
    return items


# ---------------------------------------------------------------------------------------------------- Video-MME
def _read_table(path: Path) -> list[dict]:
    if path.suffix == '.parquet':
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    return _load_json(path)


def read_videomme(data: Path, videos: Path | None = None, tasks: list[str] | None = None, **_) -> list[Item]:
    tables = sorted((data / 'videomme').glob('test*.parquet')) or sorted(data.glob('*.parquet')) or sorted(
        p for p in data.glob('*.json*') if p.is_file())
    if not tables:
        raise FileNotFoundError(f'{data}: no videomme/test-*.parquet (or .json/.jsonl) annotation file')
    videos = videos or data / 'data'
    items = []
    for table in tables:
        for number, row in enumerate(_read_table(table)):
            where = f'{table}[{number}]'
            duration = _field(row, 'duration', where)
            if tasks and duration not in tasks:
                continue
            options = list(_field(row, 'options', where))
            question = _field(row, 'question', where) + '\n' + '\n'.join(options)
            items.append(Item(str(_field(row, 'question_id', where)), duration,
                              str(find_video(videos, str(_field(row, 'videoID', where)))), question,
                              str(_field(row, 'answer', where)),
                              {'task_type': row.get('task_type'), 'domain': row.get('domain')}))
    return items


# ---------------------------------------------------------------------------------------------------- TVQA
TVQA_SHOWS = {"Grey's Anatomy": 'grey_frames', 'How I Met You Mother': 'met_frames', 'Friends': 'friends_frames',
              'The Big Bang Theory': 'bbt_frames', 'House M.D.': 'house_frames', 'Castle': 'castle_frames'}


def tvqa_question(row: dict) -> str:
    """MiniGPT4-Video ``TVQAEVAL.__getitem__``'s instruction: the question, five numbered options, the footer."""
    from .protocols import TVQA_FOOTER, TVQA_INSTRUCTION, TVQA_OPTION

    text = row['q'] + TVQA_INSTRUCTION
    for index in range(5):
        text += TVQA_OPTION.format(index=index, text=row[f'a{index}'])
    return text + TVQA_FOOTER


def write_srt(cues: list[dict], path: Path) -> Path:
    """TVQA subtitle cues (``start``/``end`` seconds, ``text``) as an .srt file our subtitle reader takes."""
    def stamp(seconds: float) -> str:
        millis = round(float(seconds) * 1000)
        return f'{millis // 3600000:02d}:{millis // 60000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}'

    blocks = [f'{n}\n{stamp(c["start"])} --> {stamp(c["end"])}\n{c["text"]}\n' for n, c in enumerate(cues, 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(blocks), encoding='utf-8')
    return path


def read_tvqa(data: Path, videos: Path | None = None, subtitles_dir: Path | None = None, **_) -> list[Item]:
    annotations = next((p for p in (data / 'tvqa_val.json', data / 'tvqa_val.jsonl') if p.exists()),
                       data / 'tvqa_val.json')
    rows = _load_json(annotations)
    videos = videos or data / 'frames'
    subtitles = {}
    subtitle_file = data / 'tvqa_preprocessed_subtitles.json'
    if subtitle_file.exists():
        subtitles = {s['vid_name']: s['sub'] for s in _load_json(subtitle_file)}
    items = []
    for number, row in enumerate(rows):
        where = f'{annotations}[{number}]'
        for key in ('q', 'a0', 'a1', 'a2', 'a3', 'a4', 'answer_idx', 'vid_name', 'show_name'):
            _field(row, key, where)
        show = TVQA_SHOWS.get(row['show_name'])
        if show is None:
            raise ValueError(f'{where}: unknown show_name {row["show_name"]!r} (known: {sorted(TVQA_SHOWS)})')
        extra = {}
        if row['vid_name'] in subtitles and subtitles_dir is not None:
            extra['subtitles'] = str(write_srt(subtitles[row['vid_name']], subtitles_dir / f'{row["vid_name"]}.srt'))
        items.append(Item(str(row.get('qid', number)), row['show_name'], str(videos / show / row['vid_name']),
                          tvqa_question(row), str(row['answer_idx']), extra))
    return items


# ---------------------------------------------------------------------------------------------------- VCGBench
VCG_SETS = {'generic': 'generic_qa.json', 'temporal': 'temporal_qa.json', 'consistency': 'consistency_qa.json'}


def read_vcgbench(data: Path, videos: Path | None = None, tasks: list[str] | None = None, **_) -> list[Item]:
    qa_dir = data / 'Benchmarking_QA' if (data / 'Benchmarking_QA').is_dir() else data
    videos = videos or data / 'Test_Videos'
    items = []
    for name in tasks or list(VCG_SETS):
        if name not in VCG_SETS:
            raise ValueError(f'unknown VCGBench set {name!r}; sets: {list(VCG_SETS)}')
        path = qa_dir / VCG_SETS[name]
        for number, row in enumerate(_load_json(path)):
            where = f'{path}[{number}]'
            video = str(find_video(videos, _field(row, 'video_name', where)))
            answer = _field(row, 'A', where)
            if name == 'consistency':
                q1, q2 = _field(row, 'Q1', where), _field(row, 'Q2', where)
                items.append(Item(f'{name}/{number}/q1', name, video, q1, answer, {'pair': f'{name}/{number}'}))
                items.append(Item(f'{name}/{number}/q2', name, video, q2, answer, {'pair': f'{name}/{number}'}))
            else:
                items.append(Item(f'{name}/{number}', name, video, _field(row, 'Q', where), answer))
    return items


# ---------------------------------------------------------------------------------------------------- VideoQA
VIDEOQA_SUBSETS = {  # PLLaVA VideoQABenchDataset task type, video folder, extensions
    'msvd': ('MSVD_QA', 'MSVD_Zero_Shot_QA', 'videos'),
    'msrvtt': ('MSRVTT_QA', 'MSRVTT_Zero_Shot_QA', 'videos/all'),
    'activitynet': ('ActivityNet', 'ActivityNet', 'all_test'),
    'tgif': ('TGIF_QA', 'TGIF_QA', 'tgif_videos'),
}


def read_videoqa(data: Path, videos: Path | None = None, subset: str | None = None, **_) -> list[Item]:
    if subset not in VIDEOQA_SUBSETS:
        raise ValueError(f'videoqa needs --subset, one of {sorted(VIDEOQA_SUBSETS)}')
    task, folder, video_folder = VIDEOQA_SUBSETS[subset]
    base = data / folder if (data / folder).is_dir() else data
    videos = videos or base / video_folder
    if (base / 'test_q.json').exists():
        questions, answers = _load_json(base / 'test_q.json'), _load_json(base / 'test_a.json')
        if len(questions) != len(answers):
            raise ValueError(f'{base}: test_q.json has {len(questions)} rows, test_a.json {len(answers)}')
        rows = [{**q, **a} for q, a in zip(questions, answers, strict=True)]
        where_of = lambda n: f'{base}/test_q.json[{n}]'  # noqa: E731
    else:
        files = sorted(p for p in base.glob('*.json') if p.is_file())
        if len(files) != 1:
            raise FileNotFoundError(f'{base}: expected test_q.json + test_a.json or one annotation .json')
        rows = _load_json(files[0])
        where_of = lambda n: f'{files[0]}[{n}]'  # noqa: E731
    items = []
    for number, row in enumerate(rows):
        name_key = next((k for k in ('video_name', 'video_id', 'gif_name') if k in row), None)
        if name_key is None:
            raise ValueError(f'{where_of(number)}: no video_name / video_id / gif_name field')
        name = str(row[name_key])
        if subset == 'activitynet' and name_key == 'video_name' and not name.startswith('v_'):
            name = 'v_' + name  # PLLaVA: "why do we have anet's video name not in the original json file???"
        items.append(Item(str(row.get('question_id', number)), task, str(find_video(videos, name)),
                          str(_field(row, 'question', where_of(number))), str(_field(row, 'answer', where_of(number)))))
    return items


# ---------------------------------------------------------------------------------------------------- Charades-STA
def read_charades_sta(data: Path, videos: Path | None = None, **_) -> list[Item]:
    from ..datasets.grounding import GROUNDING_QUESTION, format_span
    from ..datasets.grounding import read_charades_sta as read_lines

    annotations = data if data.is_file() else data / 'charades_sta_test.txt'
    videos = videos or (annotations.parent / 'Charades_v1_480')
    question = GROUNDING_QUESTION.replace('<video>', '')
    return [Item(f'{row["video_id"]}/{number}', 'charades_sta', str(find_video(videos, row['video_id'])),
                 question.format(sentence=row['sentence']), format_span(row['start'], row['end']))
            for number, row in enumerate(read_lines(annotations))]


READERS: dict[str, Callable[..., list[Item]]] = {
    'mvbench': read_mvbench, 'videomme': read_videomme, 'tvqa': read_tvqa, 'vcgbench': read_vcgbench,
    'videoqa': read_videoqa, 'charades_sta': read_charades_sta,
}


def read_benchmark(name: str, data: str | os.PathLike, **options) -> list[Item]:
    if name not in READERS:
        raise ValueError(f'unknown benchmark {name!r}; benchmarks: {sorted(READERS)}')
    data = Path(data).expanduser()
    if not data.exists():
        raise FileNotFoundError(f'{data}: benchmark folder not found')
    return READERS[name](data, **options)
