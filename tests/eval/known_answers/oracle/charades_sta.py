"""Known answers for Charades-STA as lmms-eval scores it: ``lmms_eval/tasks/charades_sta/utils.py`` (the task's
process_results + aggregations) and the standalone ``eval_tvg.py`` script next to it, on fixed (response, gt span)
pairs. Usage (oracle venv: pyyaml, loguru):
    python tests/eval/known_answers/oracle/charades_sta.py --lmms <lmms-eval mirror> \
        --out tests/eval/known_answers/charades_sta.json
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import runpy
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import header, load_official, materialize, write_json  # noqa: E402

UTILS = 'lmms_eval/tasks/charades_sta/utils.py'
EVAL_TVG = 'lmms_eval/tasks/charades_sta/eval_tvg.py'
YAML = 'lmms_eval/tasks/charades_sta/charades.yaml'

# (label, video, caption, gt timestamp as the dataset row holds it, model response)
CASES = [
    ('exact, prompt format', 'A1.mp4', 'person opens a door', [24.3, 30.4],
     'The event happens in the 24.3 - 30.4 seconds.'),
    ('close', 'A2.mp4', 'person opens a door', [24.3, 30.4], 'The event happens in the 24 - 30.4 seconds.'),
    ('bare span, no keyword', 'A3.mp4', 'person sits', [24.3, 30.4], '24.3 - 30.4'),
    ('partial overlap', 'A4.mp4', 'person sits', [2.0, 8.0], 'The event happens in 0 - 5 seconds.'),
    ('no overlap', 'A5.mp4', 'person sits', [0.0, 10.0], 'The event happens in 20 - 30 seconds'),
    ('reversed span', 'A6.mp4', 'person eats', [24.3, 30.4], 'The event happens in the 30.4 - 24.3 seconds.'),
    ('en dash', 'A7.mp4', 'person eats', [5.0, 9.0], 'It happens in 5.5–9.0 seconds.'),
    ('"to" becomes "-" (no keyword)', 'A8.mp4', 'person eats', [12.0, 18.0], 'from 12 to 18 seconds'),
    ('"starts at 4 to 9"', 'A9.mp4', 'person eats', [4.0, 9.0], 'The event starts at 4 to 9 seconds'),
    ('start/end on one line, no dash', 'B1.mp4', 'person runs', [10.0, 20.0],
     'The event starts at 10.0 seconds and ends at 20.0 seconds.'),
    ('start/end on two lines', 'B2.mp4', 'person runs', [10.0, 20.0],
     'Start time: 10.0 seconds\nEnd time: 20.0 seconds'),
    ('mm:ss range', 'B3.mp4', 'person runs', [12.0, 18.0], 'The event happens in 00:12 - 00:18.'),
    ('hh:mm:ss without dash', 'B4.mp4', 'person runs', [65.0, 70.0], 'It starts at 00:01:05 and ends at 00:01:10'),
    ('two spans: first one used', 'B5.mp4', 'person runs', [1.0, 2.0],
     'The event happens in 1 - 2 seconds and again in 20 - 25 seconds.'),
    ('prompt example echoed first', 'B6.mp4', 'person runs', [3.0, 7.0],
     'A specific example is : 20.8 - 30.0 seconds. The event happens in 3 - 7 seconds.'),
    ('json list', 'B7.mp4', 'person laughs', [12.5, 17.0], '[12.5, 17.0]'),
    ('no time', 'B8.mp4', 'person laughs', [0.0, 10.0], "I don't know."),
    ('empty response', 'B9.mp4', 'person laughs', [0.0, 10.0], ''),
    ('IoU exactly 0.3', 'C1.mp4', 'person waves', [0.0, 10.0], 'The event happens in 0 - 3 seconds.'),
    ('IoU exactly 0.5', 'C2.mp4', 'person waves', [0.0, 10.0], 'The event happens in 0 - 5 seconds.'),
    ('IoU exactly 0.7', 'C3.mp4', 'person waves', [0.0, 10.0], 'The event happens in 0 - 7 seconds.'),
    ('duplicate key, first response (overwritten)', 'C4.mp4', 'person waves', [0.0, 10.0],
     'The event happens in 0 - 10 seconds.'),
    ('duplicate key, second response (kept)', 'C4.mp4', 'person waves', [0.0, 10.0],
     'The event happens in 50 - 60 seconds.'),
]


class _FunctionTag(yaml.SafeLoader):
    pass


_FunctionTag.add_constructor('!function', lambda loader, node: f'!function {loader.construct_scalar(node)}')


def load_utils(mirror: str):
    load_official(mirror, 'lmms_eval/tasks/_task_utils/file_utils.py', 'lmms_eval.tasks._task_utils.file_utils')
    return load_official(mirror, UTILS, 'lmms_eval.tasks.charades_sta.utils', extra_files=[YAML])


def run_eval_tvg(mirror: str, submission: dict) -> dict:
    """eval_tvg.py as __main__ with -f <submission json>; its printed metrics parsed."""
    script = materialize(mirror, [EVAL_TVG]) / EVAL_TVG
    buf = io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'submission.json')
        with open(path, 'w') as f:
            json.dump(submission, f)
        old = sys.argv
        sys.argv = [str(script), '-f', path]
        try:
            with contextlib.redirect_stdout(buf):
                runpy.run_path(str(script), run_name='__main__')
        finally:
            sys.argv = old
    lines = buf.getvalue().splitlines()
    metrics = {}
    for line in lines:
        if line.startswith(('IOU 0.', 'mIOU')):
            name, value = line.rsplit(' ', 1) if line.startswith('mIOU') else line.split(': ')
            metrics[name.strip()] = float(value)
    return {'printed': lines, 'metrics': metrics}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--lmms', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    utils = load_utils(args.lmms)
    tvg = load_official(args.lmms, EVAL_TVG, 'lmms_eval_charades_eval_tvg')  # its functions, for per-case parses
    data = header('EvolvingLMMs-Lab/lmms-eval', args.lmms, UTILS,
                  'temporal_grounding_process_results_generation; extract_time; iou; '
                  'temporal_grounding_aggregate_iou3/iou5/iou7/miou (-> _temporal_grounding_compute_metrics)', (
                      'tests/eval/known_answers/oracle/charades_sta.py: utils.py executed from a materialized copy '
                      '(it reads charades.yaml next to itself; its import lmms_eval.tasks._task_utils.file_utils is '
                      'the official file too), oracle venv with pyyaml+loguru. Each (doc, response) through '
                      'process_results; each aggregation function called with the list of per-row dicts and '
                      'args=None, as lmms-eval does. eval_tvg.py run as __main__ (runpy) with -f <the combined '
                      'submission dict that temporal_grounding_aggregate_submissions would write>.'))
    with open(materialize(args.lmms, [YAML]) / YAML) as f:
        kwargs = yaml.load(f, Loader=_FunctionTag)['lmms_eval_specific_kwargs']['default']
    doc0 = {'video': CASES[0][1], 'caption': CASES[0][2], 'timestamp': CASES[0][3]}
    data['prompt'] = {'lmms_eval_specific_kwargs': kwargs, 'doc': doc0,
                      'doc_to_text': utils.temporal_grounding_doc_to_text(doc0, kwargs),
                      'generation_kwargs': 'max_new_tokens 50, temperature 0, do_sample false (charades.yaml)'}
    processed, cases = [], []
    for label, video, caption, timestamp, response in CASES:
        doc = {'video': video, 'caption': caption, 'timestamp': timestamp}
        out = utils.temporal_grounding_process_results_generation(doc, [response])
        processed.append(out)
        parsed = utils.extract_time(response)
        key = next(iter(out['charades_sta_mIOU']))
        case = {'label': label, 'doc': doc, 'response': response, 'submission_key': key,
                'utils.extract_time': parsed,
                'utils.iou': utils.iou(list(map(float, timestamp)), parsed[0]) if len(parsed) == 1 else None,
                'eval_tvg.extract_time': tvg.extract_time(response)}
        cases.append(case)
    data['cases'] = cases
    agg = {}
    for metric, func in (('IOU@3', 'temporal_grounding_aggregate_iou3'), ('IOU@5', 'temporal_grounding_aggregate_iou5'),
                         ('IOU@7', 'temporal_grounding_aggregate_iou7'), ('mIOU', 'temporal_grounding_aggregate_miou')):
        agg[f'charades_sta_{metric}'] = getattr(utils, func)([p[f'charades_sta_{metric}'] for p in processed], None)
    data['aggregation'] = {'rows': len(CASES), 'distinct_submission_keys': len({c['submission_key'] for c in cases}),
                           'metrics': agg}
    submission = {}
    for p in processed:
        submission.update(p['charades_sta_mIOU'])
    data['eval_tvg'] = {
        **header('EvolvingLMMs-Lab/lmms-eval', args.lmms, EVAL_TVG, "__main__ block (extract_time, iou, thresholds)",
                 'runpy.run_path(eval_tvg.py, run_name="__main__") with sys.argv = [script, "-f", submission.json]'),
        **run_eval_tvg(args.lmms, submission)}
    write_json(args.out, data)


if __name__ == '__main__':
    main()
