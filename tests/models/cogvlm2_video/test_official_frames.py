"""CogVLM2-Video frame selection equals the official loader, duplicates included.

Known answers: THUDM/CogVLM2 @ 6700ae7 ``video_demo/cli_video_demo.py``, function ``load_video`` (strategies 'chat'
and 'base'), run with decord 0.6.0 on the clips re-created here from their recipes
(``known_answers/frame_loader.json``; the indices are what the official function passed to ``get_batch``).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from swift_video_ext.models.cogvlm2_video.processing_cogvlm2_video import VIDEO_SAMPLING, VIDEO_SAMPLING_BASE
from swift_video_ext.video import probe_video, sample_video
from swift_video_ext.video.synthetic import read_frame_counter, write_counter_clip

KNOWN = json.loads((Path(__file__).parent / 'known_answers' / 'frame_loader.json').read_text())['clips']


@pytest.fixture(scope='module')
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp('cog_official_frames')
    return {name: write_counter_clip(folder / f'{name}.mp4', **entry['recipe']) for name, entry in KNOWN.items()}


def sampling_kwargs(sampling):
    return {'start': sampling.start, 'end': sampling.end, 'num_frames': sampling.num_frames,
            'max_frames': sampling.max_frames}


@pytest.mark.parametrize('name', sorted(KNOWN))
def test_chat_and_base_indices_equal_official(clips, name):
    entry = KNOWN[name]
    info = probe_video(clips[name])
    assert info.num_frames == entry['decord_num_frames']
    if 'decord_frame_start_times' in entry:  # the timestamps the official sampler saw
        np.testing.assert_allclose(info.frame_times, entry['decord_frame_start_times'], atol=1e-5)
    chat = sample_video(clips[name], VIDEO_SAMPLING.strategy, **sampling_kwargs(VIDEO_SAMPLING))
    base = sample_video(clips[name], VIDEO_SAMPLING_BASE.strategy, **sampling_kwargs(VIDEO_SAMPLING_BASE))
    assert chat.indices.tolist() == entry['chat_indices']
    assert base.indices.tolist() == entry['base_indices']


@pytest.mark.parametrize('name', ['fps0p5_40s', 'fps25_short10', 'vfr_sparse'])
def test_repeated_frames_are_decoded_and_repeated(clips, name):
    for sampling, key in ((VIDEO_SAMPLING, 'chat_indices'), (VIDEO_SAMPLING_BASE, 'base_indices')):
        video = sample_video(clips[name], sampling.strategy, **sampling_kwargs(sampling))
        assert [read_frame_counter(f) for f in video.frames] == KNOWN[name][key]
        assert len(video.timestamps) == len(KNOWN[name][key])


def test_repeated_frames_decode_once_and_survive_the_frame_cache(clips, monkeypatch, tmp_path):
    from swift_video_ext.video.backends.pyav import PyAVReader

    reads = []
    original = PyAVReader.read

    def spy(self, info, indices, size=None):
        reads.append(np.asarray(indices).tolist())
        return original(self, info, indices, size)

    monkeypatch.setattr(PyAVReader, 'read', spy)
    monkeypatch.setenv('SWIFT_VIDEO_CACHE_DIR', str(tmp_path / 'cache'))
    expected = KNOWN['fps0p5_40s']['chat_indices']
    first = sample_video(clips['fps0p5_40s'], 'per_second', max_frames=24)
    again = sample_video(clips['fps0p5_40s'], 'per_second', max_frames=24)  # from the cache
    assert reads == [sorted(set(expected))]
    assert again.indices.tolist() == first.indices.tolist() == expected
    assert np.array_equal(again.frames, first.frames) and [read_frame_counter(f) for f in again.frames] == expected


def test_chat_template_labels_every_repeated_frame_with_its_second(tiny_cogvlm, clips):
    """0.5 fps, 40 s: 24 frames (each decoded frame twice), labelled "0" … "23" like the official
    ``build_conversation_input_ids`` (ordinal of the frame in the loaded list), so each label is the frame's second."""
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    template = get_template(get_processor(str(tiny_cogvlm), model_type='cogvlm2_video_ts'))
    template.set_mode('transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>When?'}],
                           'videos': [str(clips['fps0p5_40s'])]})
    assert enc['pixel_values'].shape[0] == 24
    assert np.array_equal(enc['pixel_values'][0], enc['pixel_values'][1])
    tok = template.processor.tokenizer
    types = enc['token_type_ids']
    stamps = [tok.decode([t]) for i, (t, kind) in enumerate(zip(enc['input_ids'], types, strict=True))
              if kind == 0 and i > 0 and types[i - 1] == 1]
    assert stamps == [str(s) for s in range(24)]
