"""`swift infer` on a dataset with unusable rows finishes: other rows answered, each bad row named once (the true
message: no response, nothing substituted) and marked; a ``<video>`` tag without a video is such a row."""

from types import SimpleNamespace

import pytest
import torch

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import infer_results, run, write_jsonl


@pytest.mark.slow
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


def test_batch_infer_marks_the_failed_row_not_its_neighbour(tiny_pllava, tmp_path, capsys):
    """The patched ``SwiftInfer._batch_infer`` on a real in-process engine (tiny PLLaVA, two rows per batch), over two
    ``--write_batch_size`` shards: each failed row, wherever it sits in its batch, gets ``response: null`` and its
    own error; its neighbours keep their answers; the warning counts rows across shards."""
    from swift.infer_engine import RequestConfig, TransformersEngine
    from swift.model import get_model_processor
    from swift.pipelines.infer.infer import SwiftInfer
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    model, processor = get_model_processor(str(tiny_pllava), model_type='pllava', torch_dtype=torch.float32)
    infer = object.__new__(SwiftInfer)  # the pipeline without its argument parsing and model loading
    infer.args = SimpleNamespace(infer_backend='transformers', rank=-1, global_world_size=1, task_type='causal_lm',
                                 model_type='pllava')
    infer.infer_engine = TransformersEngine(model, template=get_template(processor), max_batch_size=2)
    infer.infer_kwargs = {}
    clips = [write_counter_clip(tmp_path / f'clip{i}.mp4', num_frames=8, fps=8, width=64, height=48)
             for i in range(4)]
    empty = tmp_path / 'empty.mp4'
    empty.touch()
    videos = [clips[0], empty, clips[1], clips[2], empty, clips[3]]  # shards of three; batches of two in each
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens?'}, {'role': 'assistant', 'content': 'A'}],
             'videos': [str(video)]} for video in videos]
    config = RequestConfig(max_tokens=2, temperature=0)
    results = SwiftInfer._batch_infer(infer, rows[:3], config) + SwiftInfer._batch_infer(infer, rows[3:], config)
    assert [r['videos'][0] for r in results] == [str(v) for v in videos]
    for position, result in enumerate(results):
        if position in (1, 4):
            assert (result['response'], result.get('error')) == (None, f'{empty}: file is empty (0 bytes)'), position
        else:
            assert isinstance(result['response'], str) and 'error' not in result, position
    log = capsys.readouterr().err
    assert f'row 2 cannot be encoded and has no response: {empty}: file is empty' in log
    assert f'row 5 cannot be encoded and has no response: {empty}: file is empty' in log
