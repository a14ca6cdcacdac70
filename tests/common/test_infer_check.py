"""`swift infer` on a dataset with unusable rows finishes: other rows answered, each bad row named once (the true
message: no response, nothing substituted) and marked; a ``<video>`` tag without a video is such a row."""

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import infer_results, run, write_jsonl

pytestmark = pytest.mark.slow


def test_swift_infer_finishes_past_bad_rows(tiny_pllava, tmp_path):
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=20, fps=10)
    empty = tmp_path / 'empty.mp4'
    empty.touch()
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens?'}, {'role': 'assistant', 'content': 'A'}],
             'videos': [str(video)] if video else []} for video in (clip, empty, clip, None)]
    dataset = write_jsonl(tmp_path / 'val.jsonl', rows)
    result = run(['swift', 'infer', '--model', str(tiny_pllava), '--model_type', 'pllava', '--val_dataset',
                  str(dataset), '--max_new_tokens', '2', '--temperature', '0', '--max_batch_size', '2',
                  '--result_path', str(tmp_path / 'infer_result' / 'out.jsonl')])
    results = infer_results(tmp_path)
    assert len(results) == 4
    assert [r['videos'] for r in results] == [[str(clip)], [str(empty)], [str(clip)], []]  # dataset order kept
    assert isinstance(results[0]['response'], str) and isinstance(results[2]['response'], str)
    assert results[1]['response'] is None and results[1]['error'] == f'{empty}: file is empty (0 bytes)'
    assert 'error' not in results[0]
    log = result.stdout + result.stderr
    assert f'row 2 cannot be encoded and has no response: {empty}: file is empty' in log
    tagged = "'<video>What happens?': more <video> tags than videos (1 tags, 0 videos"
    assert results[3]['response'] is None and results[3]['error'].startswith(tagged)
    assert f'row 4 cannot be encoded and has no response: {tagged}' in log
    assert log.count('cannot be encoded') == 2 and 'skipped a sample' not in log  # one message per row, the true one
