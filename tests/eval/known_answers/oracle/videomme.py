"""Known answers for Video-MME as lmms-eval scores it (``lmms_eval/tasks/videomme/utils.py``: doc_to_text,
extract_characters_regex -> _task_utils/mcq_extract.extract_mcq_answer, process_results, aggregate_results).
Usage (oracle venv: numpy, pyyaml, loguru):
    python tests/eval/known_answers/oracle/videomme.py --lmms <lmms-eval mirror> \
        --out tests/eval/known_answers/videomme.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from loguru import logger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import header, load_official, materialize, stub_heavy_imports, write_json  # noqa: E402

UTILS = 'lmms_eval/tasks/videomme/utils.py'
YAML = 'lmms_eval/tasks/videomme/videomme.yaml'

RESPONSES = [
    'A', 'B.', '(C)', 'D. A red car.', 'The answer is D', 'The best answer is: C', 'Answer: B', 'b', '(a)',
    'c.', 'E', 'A B', 'ABCD', 'Option A is wrong; the answer is B.', 'B) a dog', 'Based on the video, A',
    'I think it is C because a man is there.', "I don't know", '', '   ', 'None of the above', 'A. B. C.',
    'The correct option is (D).', 'Definitely B', 'a dog',
]


class _FunctionTag(yaml.SafeLoader):
    pass


_FunctionTag.add_constructor('!function', lambda loader, node: f'!function {loader.construct_scalar(node)}')


def doc(i: int, answer: str, duration: str, domain: str, sub: str, task: str) -> dict:
    return {'question_id': f'{i:03d}-1', 'videoID': f'vid{i}', 'duration': duration, 'domain': domain,
            'sub_category': sub, 'task_type': task, 'question': f'Question {i}: what is shown?',
            'options': ['A. a cat', 'B. a dog', 'C. a car', 'D. a tree'], 'answer': answer}


# (doc, response) rows for the aggregation: three durations, two domains, several task types.
ROWS = [
    (doc(1, 'A', 'short', 'Knowledge', 'Astronomy', 'Counting Problem'), 'A'),
    (doc(2, 'B', 'short', 'Knowledge', 'Astronomy', 'Counting Problem'), 'The answer is B'),
    (doc(3, 'C', 'short', 'Sports Competition', 'Football', 'Action Recognition'), '(A)'),
    (doc(4, 'D', 'medium', 'Sports Competition', 'Football', 'Action Recognition'), ''),
    (doc(5, 'A', 'medium', 'Knowledge', 'Geography', 'OCR Problems'), 'a'),
    (doc(6, 'B', 'long', 'Knowledge', 'Geography', 'OCR Problems'), "I don't know"),
    (doc(7, 'C', 'long', 'Sports Competition', 'Basketball', 'Temporal Reasoning'), 'C. a car'),
    (doc(8, 'D', 'long', 'Sports Competition', 'Basketball', 'Temporal Reasoning'), 'D'),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--lmms', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    stub_heavy_imports(['cv2', 'datasets'])
    load_official(args.lmms, 'lmms_eval/tasks/_task_utils/mcq_extract.py', 'lmms_eval.tasks._task_utils.mcq_extract')
    utils = load_official(args.lmms, UTILS, 'lmms_eval.tasks.videomme.utils', extra_files=[YAML])
    data = header('EvolvingLMMs-Lab/lmms-eval', args.lmms, UTILS,
                  'extract_characters_regex (-> _task_utils/mcq_extract.py extract_mcq_answer, choices A-D); '
                  'videomme_process_results; videomme_aggregate_results; videomme_doc_to_text', (
                      'tests/eval/known_answers/oracle/videomme.py: utils.py executed from a materialized copy (it '
                      'reads videomme.yaml next to itself), oracle venv with numpy/pyyaml/loguru; cv2 and datasets '
                      'stubbed (subtitle / doc filtering only); mcq_extract.py is the official file. Aggregation '
                      'called with the list of process_results dicts; its per-type log lines captured from loguru.'))
    with open(materialize(args.lmms, [YAML]) / YAML) as f:
        kwargs = yaml.load(f, Loader=_FunctionTag)['lmms_eval_specific_kwargs']
    data['prompt'] = {'doc': ROWS[0][0], 'lmms_eval_specific_kwargs.default': kwargs['default'],
                      'doc_to_text_default': utils.videomme_doc_to_text(ROWS[0][0], kwargs['default']),
                      'doc_to_text_llava_vid': utils.videomme_doc_to_text(ROWS[0][0], kwargs['llava_vid'])}
    data['cases'] = [{'response': r, 'extract_characters_regex': utils.extract_characters_regex(r)} for r in RESPONSES]
    processed = []
    for d, response in ROWS:
        out = utils.videomme_process_results(d, [response])['videomme_perception_score']
        processed.append({'doc': d, 'response': response, 'process_results': out})
    logs: list[str] = []
    sink = logger.add(lambda m: logs.append(m.record['message']), format='{message}')
    overall = utils.videomme_aggregate_results([p['process_results'] for p in processed])
    logger.remove(sink)
    data['aggregation'] = {'rows': processed, 'videomme_perception_score': overall,
                           'logged': logs}
    write_json(args.out, data)


if __name__ == '__main__':
    main()
