"""Every kind of bad input through `swift sft` at once: exact per-row counts in skipped_samples.json, no good row
lost."""

import json
import socket

import pytest

from swift_video_ext.video.synthetic import (
    write_audio_only,
    write_counter_clip,
    write_damaged_clip,
    write_edit_list_clip,
    write_frame_folder,
)
from tests.helpers import CPU_TRAIN_ARGS, command_env, run, write_jsonl

pytestmark = pytest.mark.slow


def good_videos(root) -> dict[str, str]:
    """Unusual but valid: each must be trained on, never skipped."""
    import av

    from swift_video_ext.video.synthetic import counter_frame

    rotated = root / 'portrait.mp4'
    with av.open(str(rotated), 'w') as container:
        stream = container.add_stream('libx264', rate=10)
        stream.width, stream.height, stream.pix_fmt = 96, 64, 'yuv420p'
        stream.set_display_rotation(-90)
        for i in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(counter_frame(i, 96, 64), format='rgb24')):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    write_frame_folder(root / 'frames_ok', 6)
    return {
        'one_frame': write_counter_clip(root / 'one.mp4', num_frames=1),
        'vfr': write_counter_clip(root / 'vfr.mp4', frame_times=[0.0, 0.1, 0.9, 1.0, 2.5], gop=2, bframes=0),
        'mkv_no_count': write_counter_clip(root / 'clip.mkv', num_frames=12, fps=6),
        '4k': write_counter_clip(root / 'uhd.mp4', num_frames=2, width=3840, height=2160, bframes=0),
        'over_an_hour': write_counter_clip(root / 'long.mp4', frame_times=[0.0, 1800.0, 3700.0], gop=1, bframes=0),
        'edit_list': write_edit_list_clip(root / 'elst.mp4', discard=2, num_frames=20),
        'damaged': write_damaged_clip(root / 'damaged.mp4', num_frames=20, zeroed=(8, 9), swapped=(3, 4))[0],
        'rotated': rotated,
        'frame_folder': root / 'frames_ok',
    }


def bad_videos(root) -> dict[str, tuple[str, str]]:
    """Unusable: name -> (what the row gives as its video, the reason kind counted for it)."""
    empty = root / 'empty.mp4'
    empty.touch()
    clip = write_counter_clip(root / 'whole.mp4', num_frames=30).read_bytes()
    (root / 'cut.mp4').write_bytes(clip[:len(clip) // 2])
    (root / 'notes.mp4').write_text('not a video\n' * 50)
    write_audio_only(root / 'speech.m4a')
    frames = write_frame_folder(root / 'frames_bad', 6)
    frames[3].write_bytes(frames[3].read_bytes()[:200])
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]  # closed again: connections are refused
    return {
        'empty': (str(empty), 'file is empty'),
        'truncated': (str(root / 'cut.mp4'), 'truncated or corrupt MP4/QuickTime file, FFmpeg cannot open it'),
        'not_video': (str(root / 'notes.mp4'), 'not a video file'),
        'audio_only': (str(root / 'speech.m4a'), 'no video stream'),
        'missing': (str(root / 'gone.mp4'), 'file not found'),
        'bad_frame': (str(root / 'frames_bad'), 'unreadable frame image'),
        'url_refused': (f'http://127.0.0.1:{port}/clip.mp4', 'cannot fetch it'),
        'bad_data_uri': ('data:video/mp4;base64,@@@@', 'invalid base64 data'),
    }


def test_swift_sft_counts_every_bad_row_once_and_trains_every_good_one(tiny_pllava, tmp_path):
    good = good_videos(tmp_path)
    bad = bad_videos(tmp_path)
    rows = [{'messages': [{'role': 'user', 'content': '<video>What happens?'},
                          {'role': 'assistant', 'content': name}], 'videos': [str(video)]}
            for name, video in [*good.items(), *((n, v) for n, (v, _) in bad.items())]]
    dataset = write_jsonl(tmp_path / 'rows.jsonl', rows)
    output = tmp_path / 'out'
    steps = len(rows)  # one epoch at batch size 1: every row fetched at least once (bad ones, and substitutes)
    result = run(['swift', 'sft', '--model', str(tiny_pllava), '--model_type', 'pllava', '--dataset', str(dataset),
                  '--tuner_type', 'lora', '--max_steps', str(steps), '--per_device_train_batch_size', '1',
                  '--save_steps', str(steps), '--logging_steps', str(steps), '--output_dir', str(output),
                  *CPU_TRAIN_ARGS], env=command_env(NUM_FRAMES='4', SWIFT_VIDEO_URL_TIMEOUT='2'))
    (summary_path,) = output.glob('v*/skipped_samples.json')
    summary = json.loads(summary_path.read_text())
    log = result.stdout + result.stderr
    assert summary['rows_skipped'] == len(bad) and summary['distinct_files'] == len(bad), summary
    assert summary['rows_over_max_length'] == 0
    files = summary['files']
    for name, (video, kind) in bad.items():
        source = next((s for s in files if s == video or s.startswith(f'{video}/') or video.startswith('data:')
                       and s.startswith('data:')), None)
        assert source is not None and files[source]['rows'] == 1, (name, files)
        assert kind in files[source]['reason'], (name, files[source])
        assert log.count(f'skipped a sample: {source}') == 1, name  # warned once, however often it was tried
    # every encode failure ms-swift reports is one of ours (a good row failing otherwise would be lost silently)
    failures = log.count('There are errors in the template.encode')
    assert failures >= 1 and failures == log.count('swift_video_ext.video.errors.VideoDecodeError: ')
    for name, video in good.items():  # no good row lost
        assert not any(source == str(video) or source.startswith(f'{video}/') for source in files), (name, files)
    assert summary['reasons'] == {kind.split(' (')[0].split(':')[0]: 1 for _, kind in bad.values()}
