"""When no training row can be used, `swift sft` ends with our reasons, not ms-swift's "increase max_length"."""

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import CPU_TRAIN_ARGS, run_bounded, write_jsonl

pytestmark = pytest.mark.slow


def test_swift_sft_with_no_usable_row_ends_with_why(tmp_path):
    """CogVLM2-Video rows with two videos each: ms-swift would end with `Failed to retrieve the dataset ...
    increasing max_length`; the last line the user reads names the rows and the reason."""
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    clips = [str(write_counter_clip(tmp_path / f'clip{i}.mp4', num_frames=20, fps=10)) for i in range(2)]
    rows = [{'messages': [{'role': 'user', 'content': f'<video><video>Which is longer, {i}?'},
                          {'role': 'assistant', 'content': 'Neither.'}], 'videos': clips} for i in range(3)]
    result = run_bounded(['swift', 'sft', '--model', str(build_tiny(tmp_path / 'tiny')), '--model_type',
                          'cogvlm2_video_ts', '--dataset', str(write_jsonl(tmp_path / 'rows.jsonl', rows)),
                          '--tuner_type', 'lora', '--max_steps', '1', '--output_dir', str(tmp_path / 'out'),
                          *CPU_TRAIN_ARGS])
    assert result.returncode != 0
    last = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert last.startswith('swift_video_ext.hooks.train_check.NoUsableRowsError: no training row could be used'), last
    assert 'CogVLM2-Video takes one video per sample' in last and 'row 1 ' in last and '3 rows tried' in last, last
