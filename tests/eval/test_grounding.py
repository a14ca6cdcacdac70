"""Grounding metrics on hand-made predictions with known scores."""

import json

import pytest

from swift_video_ext.eval.grounding import evaluate_grounding, parse_span, temporal_iou
from tests.helpers import run


@pytest.mark.parametrize('text,span', [
    ('From 24.3 to 30.4 seconds.', (24.3, 30.4)),
    ('It happens 5 - 9.5 s into the clip', (5.0, 9.5)),
    ('between 3 and ... no: 12 to 15', (12.0, 15.0)),
    ('[1.5, 4]', (1.5, 4.0)),
    ('00:01:05 - 00:01:10', (65.0, 70.0)),
    ('from 8s until 2s', (2.0, 8.0)),
    ('1:02.5–1:04', (62.5, 64.0)),
    ('no span here', None),
    (None, None),
])
def test_parse_span_forms(text, span):
    assert parse_span(text) == span


def test_iou():
    assert temporal_iou((0, 10), (5, 15)) == pytest.approx(5 / 15)
    assert temporal_iou((0, 1), (2, 3)) == 0.0
    assert temporal_iou((2, 4), (2, 4)) == 1.0


def test_known_scores():
    rows = [
        {'labels': 'From 0.0 to 10.0 seconds.', 'response': 'From 0.0 to 10.0 seconds.'},  # IoU 1.0
        {'labels': 'From 0.0 to 10.0 seconds.', 'response': 'From 2.0 to 10.0 seconds.'},  # IoU 0.8
        {'labels': 'From 0.0 to 10.0 seconds.', 'response': 'From 0.0 to 4.0 seconds.'},   # IoU 0.4
        {'labels': 'From 0.0 to 10.0 seconds.', 'response': 'I do not know.'},             # unparsable: 0
        {'labels': 'no reference', 'response': 'From 1 to 2'},                             # not counted
    ]
    result = evaluate_grounding(rows)
    assert result['count'] == 4 and result['unparsable_predictions'] == 1
    assert result['rows_without_reference_span'] == 1
    assert result['R@1,IoU=0.3'] == 75.0 and result['R@1,IoU=0.5'] == 50.0 and result['R@1,IoU=0.7'] == 50.0
    assert result['mIoU'] == pytest.approx(100 * (1.0 + 0.8 + 0.4 + 0.0) / 4)


def test_cli_reads_swift_infer_results(tmp_path):
    results = tmp_path / 'result.jsonl'
    results.write_text(''.join(json.dumps(r) + '\n' for r in [
        {'response': 'From 1.0 to 3.0 seconds.', 'labels': 'From 1.0 to 3.0 seconds.', 'messages': []},
        {'response': 'From 5.0 to 6.0 seconds.', 'labels': 'From 1.0 to 3.0 seconds.', 'messages': []}]))
    result = json.loads(run(['swift-video', 'eval', 'grounding', '--results', str(results), '--json']).stdout)
    assert result['R@1,IoU=0.5'] == 50.0 and result['mIoU'] == 50.0
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"response": 1}\nnot json\n')
    failed = run(['swift-video', 'eval', 'grounding', '--results', str(bad)], check=False)
    assert failed.returncode != 0 and 'bad.jsonl:2: not a JSON line' in failed.stderr
