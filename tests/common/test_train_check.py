"""`swift sft` checks the token budget once at start and names every row it drops for length while training."""

import pytest

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import CPU_TRAIN_ARGS, run, write_jsonl

pytestmark = pytest.mark.slow


def test_swift_sft_warns_about_rows_over_max_length(tmp_path):
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    model_dir = build_tiny(tmp_path / 'tiny')
    short = write_counter_clip(tmp_path / 'short.mp4', num_frames=20, fps=10)  # 3 frames
    long = write_counter_clip(tmp_path / 'long.mp4', num_frames=120, fps=10)  # 13 frames
    rows = [{'messages': [{'role': 'user', 'content': '<video>Count.'}, {'role': 'assistant', 'content': 'Up.'}],
             'videos': [str(clip)]} for clip in (short, short, long)]
    dataset = write_jsonl(tmp_path / 'rows.jsonl', rows)
    args = [a for a in CPU_TRAIN_ARGS]
    args[args.index('--max_length') + 1] = '80'  # tiny: 6 vision + 1 time token per frame; 3 frames fit, 13 do not
    result = run(['swift', 'sft', '--model', str(model_dir), '--model_type', 'cogvlm2_video_ts', '--dataset',
                  str(dataset), '--tuner_type', 'lora', '--max_steps', '3', '--per_device_train_batch_size', '2',
                  '--save_steps', '3', '--output_dir', str(tmp_path / 'out'), *args])
    log = result.stdout + result.stderr
    assert 'token budget check (all 3 rows): 1 (33.3%) would be dropped by ms-swift' in log
    assert 'NUM_FRAMES=' in log and 'long.mp4' in log
    assert f'row longer than --max_length 80: {long}' in log  # named when ms-swift actually skips it
