"""The shared template machinery: per-row count tensors in the collator, and the frames a template samples while
encoding a row (MiniGPT4-Video's replace_tag) kept per row, not on ms-swift's inputs."""

import threading

import numpy as np
import pytest
import torch

from swift_video_ext.common.template import EncodeMedia, VideoTemplate
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template


def video_row(clip, answer='x'):
    return {'messages': [{'role': 'user', 'content': '<video>What happens?'}, {'role': 'assistant', 'content': answer}],
            'videos': [str(clip)]}


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp('media_clips')
    return [write_counter_clip(root / 'a.mp4', num_frames=30, fps=10),
            write_counter_clip(root / 'b.mp4', num_frames=40, fps=10, event=(0.0, 4.0))]


def test_gemma4_frames_collator_concatenates_frames_per_video(tiny_gemma4, clips):
    template = make_template(tiny_gemma4, 'gemma4', 'gemma4_frames_nothinking')
    encoded = [template.encode(video_row(clip)) for clip in clips]
    batch = template.data_collator(encoded)
    assert batch['num_frames_per_video'].tolist() == [4, 4]
    assert batch['pixel_values_videos'].shape[0] == 8


@pytest.fixture(scope='module')
def minigpt(tiny_minigpt4):
    return make_template(tiny_minigpt4, 'minigpt4_video')


def test_minigpt4_frames_stay_with_their_row_not_on_ms_swifts_inputs(minigpt, clips):
    from swift.template.template_inputs import StdTemplateInputs

    seen = []
    original = StdTemplateInputs.__setattr__

    def record(self, name, value):  # every inputs object that ms-swift makes while encoding
        seen.append(self)
        original(self, name, value)

    StdTemplateInputs.__setattr__ = record
    try:
        first = minigpt.encode(video_row(clips[0]))
    finally:
        StdTemplateInputs.__setattr__ = original
    assert seen
    for inputs in seen:  # no frames stored on them
        for name, value in vars(inputs).items():
            items = value if isinstance(value, list) else [value]
            assert not any(isinstance(item, np.ndarray) for item in items), name
    again = minigpt.encode(video_row(clips[0]))  # a second row starts empty: same ids and pixels
    assert again['input_ids'] == first['input_ids'] and torch.equal(again['pixel_values'], first['pixel_values'])
    assert first['pixel_values'].shape[0] == minigpt.config.num_frames


def test_minigpt4_rows_encoded_at_once_keep_their_own_frames(minigpt, clips):
    """ms-swift encodes rows in threads (the infer engines): each thread's row gets its own frames."""
    alone = [minigpt.encode(video_row(clip)) for clip in clips]
    results: dict[int, dict] = {}

    def encode(i):
        for _ in range(3):
            results.setdefault(i, []).append(minigpt.encode(video_row(clips[i])))

    threads = [threading.Thread(target=encode, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, encodings in results.items():
        assert all(torch.equal(e['pixel_values'], alone[i]['pixel_values']) for e in encodings)


def test_encode_media_is_per_scope():
    with VideoTemplate.encode_media_scope(None) as outer:
        outer.add('frame', 'a')
        with VideoTemplate.encode_media_scope(None) as inner:
            assert VideoTemplate.encode_media() is inner and inner.frames == {}
        assert VideoTemplate.encode_media() is outer and outer.get('frame', 0) == 'a'
    with pytest.raises(RuntimeError, match='outside encode_media_scope'):
        VideoTemplate.encode_media()
    assert EncodeMedia().frames == {}
