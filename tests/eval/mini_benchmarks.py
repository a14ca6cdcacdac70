"""Mini versions of each benchmark in its official file layout, on one-colour clips (the colour is the answer).

Every multiple-choice item asks for the clip's colour, so a tiny model overfitted on the rows answers each item from
its pixels alone and a blank-frame control cannot beat chance.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import write_solid_clip

COLOURS = {'red': (230, 20, 20), 'green': (20, 200, 40), 'blue': (30, 40, 220)}
CANDIDATES = ['red', 'green', 'blue', 'black']
QUESTION = 'What colour is the video?'
MVBENCH_TASKS = ['Action Count', 'Action Sequence']  # one unbounded, one bounded (start/end) task


def _clip(folder: Path, name: str, colour: str, **kwargs) -> Path:
    return write_solid_clip(folder / name, COLOURS[colour], **kwargs)


def write_mvbench(root: Path) -> Path:
    """json/action_count.json (perception/videos) and json/action_sequence.json (star/Charades_v1_480, bounded)."""
    (root / 'json').mkdir(parents=True, exist_ok=True)
    count, sequence = [], []
    for colour in COLOURS:
        _clip(root / 'video' / 'perception' / 'videos', f'{colour}.mp4', colour)
        count.append({'video': f'{colour}.mp4', 'question': QUESTION, 'candidates': CANDIDATES, 'answer': colour})
        _clip(root / 'video' / 'star' / 'Charades_v1_480', f'{colour}_long.mp4', colour, num_frames=50)
        sequence.append({'video': f'{colour}_long.mp4', 'question': QUESTION, 'candidates': CANDIDATES,
                         'answer': colour, 'start': 1.0, 'end': 4.0})
    (root / 'json' / 'action_count.json').write_text(json.dumps(count))
    (root / 'json' / 'action_sequence.json').write_text(json.dumps(sequence))
    return root


def write_videomme(root: Path) -> Path:
    """videomme/test-00000-of-00001.parquet and data/<videoID>.mp4 (one item's video missing)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = []
    for index, colour in enumerate(COLOURS):
        video_id = f'vid{index}'
        _clip(root / 'data', f'{video_id}.mp4', colour)
        options = [f'{chr(65 + i)}. {c}.' for i, c in enumerate(CANDIDATES)]
        rows.append({'video_id': f'{index:03d}', 'duration': 'short', 'domain': 'Knowledge',
                     'sub_category': 'Astronomy', 'url': '', 'videoID': video_id, 'question_id': f'{index:03d}-1',
                     'task_type': 'Attribute Perception', 'question': QUESTION, 'options': options,
                     'answer': chr(65 + CANDIDATES.index(colour))})
    rows.append({**rows[0], 'videoID': 'gone', 'question_id': '009-1', 'video_id': '009'})
    (root / 'videomme').mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), root / 'videomme' / 'test-00000-of-00001.parquet')
    return root


def write_tvqa(root: Path) -> Path:
    """tvqa_val.json, frames/friends_frames/<vid>/00001.jpg… (3 fps) and tvqa_preprocessed_subtitles.json."""
    import numpy as np
    from PIL import Image

    rows, subtitles = [], []
    for index, colour in enumerate(COLOURS):
        vid = f'friends_s01e0{index}_seg01_clip_00'
        folder = root / 'frames' / 'friends_frames' / vid
        folder.mkdir(parents=True, exist_ok=True)
        for frame in range(1, 10):
            Image.fromarray(np.full((48, 64, 3), COLOURS[colour], dtype=np.uint8)).save(folder / f'{frame:05d}.jpg')
        options = {f'a{i}': c for i, c in enumerate(['red', 'green', 'blue', 'black', 'white'])}
        rows.append({'qid': index, 'q': QUESTION, **options, 'answer_idx': CANDIDATES.index(colour),
                     'vid_name': vid, 'show_name': 'Friends', 'ts': '0.0-3.0'})
        subtitles.append({'vid_name': vid, 'sub': [{'start': 0.0, 'end': 1.5, 'text': f'Look, it is {colour}.'}]})
    (root / 'tvqa_val.json').write_text(json.dumps(rows))
    (root / 'tvqa_preprocessed_subtitles.json').write_text(json.dumps(subtitles))
    return root


def write_vcgbench(root: Path) -> Path:
    """Benchmarking_QA/{generic,temporal,consistency}_qa.json and Test_Videos/<name>.mp4."""
    qa = root / 'Benchmarking_QA'
    qa.mkdir(parents=True, exist_ok=True)
    for colour in COLOURS:
        _clip(root / 'Test_Videos', f'v_{colour}.mp4', colour)
    generic = [{'Q': QUESTION, 'A': f'The video is {c}.', 'video_name': f'v_{c}'} for c in COLOURS]
    temporal = [{'Q': 'Does the colour change?', 'A': 'No, it stays the same.', 'video_name': 'v_red'}]
    consistency = [{'Q1': QUESTION, 'Q2': 'Which colour fills the frames?', 'A': 'The video is green.',
                    'video_name': 'v_green'}]
    (qa / 'generic_qa.json').write_text(json.dumps(generic))
    (qa / 'temporal_qa.json').write_text(json.dumps(temporal))
    (qa / 'consistency_qa.json').write_text(json.dumps(consistency))
    return root


def write_videoqa(root: Path) -> Path:
    """MSVD_Zero_Shot_QA/test_q.json + test_a.json and videos/<name>.avi-named mp4s (Video-ChatGPT layout)."""
    base = root / 'MSVD_Zero_Shot_QA'
    questions, answers = [], []
    for index, colour in enumerate(COLOURS):
        _clip(base / 'videos', f'clip{index}.mp4', colour)
        questions.append({'video_name': f'clip{index}', 'question': 'what colour is it?', 'question_id': f'q{index}'})
        answers.append({'answer': colour, 'type': 2, 'question_id': f'q{index}'})
    (base / 'test_q.json').write_text(json.dumps(questions))
    (base / 'test_a.json').write_text(json.dumps(answers))
    return root


def write_charades_sta(root: Path) -> Path:
    """charades_sta_test.txt and Charades_v1_480/<vid>.mp4."""
    for index, colour in enumerate(COLOURS):
        _clip(root / 'Charades_v1_480', f'C{index}.mp4', colour)
    lines = [f'C{i} 0.5 2.0##the {c} screen glows' for i, c in enumerate(COLOURS)]
    root.mkdir(parents=True, exist_ok=True)
    (root / 'charades_sta_test.txt').write_text('\n'.join(lines) + '\n')
    return root


WRITERS = {'mvbench': write_mvbench, 'videomme': write_videomme, 'tvqa': write_tvqa, 'vcgbench': write_vcgbench,
           'videoqa': write_videoqa, 'charades_sta': write_charades_sta}
PREPARE_OPTIONS = {'mvbench': {'tasks': MVBENCH_TASKS}, 'videoqa': {'subset': 'msvd'}}


def write_all(root: Path) -> dict[str, Path]:
    return {name: writer(root / name) for name, writer in WRITERS.items()}


def fake_results(rows_file: Path, answers: dict[str, str], path: Path) -> Path:
    """A swift infer result file: each row's messages + the response given for its reference answer."""
    out = []
    for line in rows_file.read_text().splitlines():
        row = json.loads(line)
        reference = row['messages'][-1]['content']
        response = answers.get(reference)
        out.append({'response': response, 'labels': reference, 'messages': row['messages'][:-1],
                    'videos': row['videos'], 'dataset': str(rows_file)})
    path.write_text(''.join(json.dumps(r) + '\n' for r in out))
    return path
