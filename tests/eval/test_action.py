"""Action-recognition scoring on hand-made results with known scores."""

import json

import pytest

from swift_video_ext.eval.action import evaluate_actions, map_to_class, normalise
from tests.helpers import run


def test_normalisation():
    assert normalise('The man is Playing guitar.') == 'man is playing guitar'
    assert normalise('  riding_a_bike!! ') == 'riding bike'
    assert normalise(None) == ''


def test_exact_scores_without_label_list():
    rows = [{'labels': 'playing guitar', 'response': 'Playing guitar.'},
            {'labels': 'playing guitar', 'response': 'playing the guitar'},
            {'labels': 'riding a bike', 'response': 'riding bike'},
            {'labels': 'swimming', 'response': 'diving'}]
    result = evaluate_actions(rows)
    assert result['count'] == 4 and result['top1_accuracy'] == 75.0
    assert result['per_class_accuracy'] == {'playing guitar': 100.0, 'riding bike': 100.0, 'swimming': 0.0}
    assert result['top_confusions'] == [{'reference': 'swimming', 'prediction': 'diving', 'count': 1}]


def test_label_list_maps_free_text_to_the_nearest_class():
    classes = ['playing guitar', 'playing piano', 'swimming', 'riding a bike']
    rows = [{'labels': 'playing guitar', 'response': 'A man is playing guitar on a stage.'},
            {'labels': 'playing piano', 'response': 'someone playing the piano'},
            {'labels': 'swimming', 'response': 'swimmming'},                       # typo: nearest class
            {'labels': 'riding a bike', 'response': 'A dog runs in the park.'},    # no class: stays wrong
            {'labels': 'swimming', 'response': 'playing guitar'}]
    result = evaluate_actions(rows, classes)
    assert result['top1_accuracy'] == 60.0 and result['predictions_mapped_to_a_class'] == 4
    assert {'reference': 'swimming', 'prediction': 'playing guitar', 'count': 1} in result['top_confusions']
    assert map_to_class('playing guitar and playing', ['playing', 'playing guitar']) == 'playing guitar'


def test_cli(tmp_path):
    results = tmp_path / 'r.jsonl'
    rows = [{'response': 'Juggling balls.', 'labels': 'juggling balls'}, {'response': 'cooking', 'labels': 'dancing'}]
    results.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    labels = tmp_path / 'labels.txt'
    labels.write_text('juggling balls\ndancing\ncooking\n')
    out = json.loads(run(['swift-video', 'eval', 'action', '--results', str(results), '--labels', str(labels),
                          '--json']).stdout)
    assert out['top1_accuracy'] == 50.0
    text = run(['swift-video', 'eval', 'action', '--results', str(results)]).stdout
    assert 'top-1 accuracy: 50.00% of 2' in text and 'dancing -> cooking' in text


@pytest.mark.parametrize('rows', [[]])
def test_empty(rows):
    assert evaluate_actions(rows)['top1_accuracy'] == 0.0


def test_cli_min_similarity_threshold(tmp_path):
    """Default 0.5: 'swimmming' (ratio 0.94 to 'swimming') maps, 'xylophone' (< 0.5 to every class) stays unmapped;
    --min-similarity 0 maps every answer (docs/models/gemma4-frames.md: the similarity threshold)."""
    import difflib

    classes = ['juggling balls', 'swimming']
    assert max(difflib.SequenceMatcher(None, 'xylophone', c).ratio() for c in classes) < 0.5
    results = tmp_path / 'r.jsonl'
    rows = [{'response': 'swimmming', 'labels': 'swimming'}, {'response': 'xylophone', 'labels': 'juggling balls'}]
    results.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    labels = tmp_path / 'labels.txt'
    labels.write_text('\n'.join(classes) + '\n')
    base = ['swift-video', 'eval', 'action', '--results', str(results), '--labels', str(labels)]
    default = json.loads(run([*base, '--json']).stdout)
    assert default['predictions_mapped_to_a_class'] == 1 and default['top1_accuracy'] == 50.0
    everything = json.loads(run([*base, '--json', '--min-similarity', '0']).stdout)
    assert everything['predictions_mapped_to_a_class'] == 2
    assert 'predictions mapped to a class: 1' in run(base).stdout
    bad = run([*base, '--min-similarity', '2'], check=False)
    assert bad.returncode == 2 and bad.stderr.count('\n') == 1 and '--min-similarity' in bad.stderr
