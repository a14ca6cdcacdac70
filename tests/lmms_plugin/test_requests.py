"""lmms-eval requests → ms-swift inputs: which visuals are videos (paths kept), the user turn, generation settings."""

from __future__ import annotations

import pytest
from PIL import Image

from swift_video_ext.lmms_plugin.requests import Generation, VisualError, Visuals, split_visuals, user_content


def test_video_paths_stay_paths_and_images_stay_images(tmp_path):
    frames = tmp_path / 'frames'
    frames.mkdir()
    image = Image.new('RGB', (8, 8))
    visuals = split_visuals([str(tmp_path / 'a.mp4'), tmp_path / 'b.MKV', str(frames), 'x.png', image, None])
    assert visuals.videos == [str(tmp_path / 'a.mp4'), str(tmp_path / 'b.MKV'), str(frames)]
    assert visuals.images == ['x.png', image]
    assert split_visuals(None) == Visuals()
    assert split_visuals(str(tmp_path / 'one.webm')).videos == [str(tmp_path / 'one.webm')]


@pytest.mark.parametrize('bad', ['notes.txt', {'array': [0.0], 'sampling_rate': 16000}, 3])
def test_unsupported_visual_names_the_document(bad):
    with pytest.raises(VisualError, match=r'mvbench/test/doc 7'):
        split_visuals([bad], 'mvbench/test/doc 7')


def test_user_turn_puts_one_tag_per_medium_in_front():
    assert user_content('Question?', Visuals(videos=['a.mp4'])) == '<video>Question?'
    assert user_content('Question?', Visuals(videos=['a.mp4', 'b.mp4'], images=['x.png'])) == \
        '<video><video><image>Question?'
    # lmms-eval contexts that carry their own tag: removed, ours in front
    assert user_content('<image>\nQuestion?', Visuals(videos=['a.mp4'])) == '<video>Question?'
    # interleaved images, one tag per image: kept where the task put them
    assert user_content('A <image> then B <image>?', Visuals(images=['x.png', 'y.png'])) == \
        'A <image> then B <image>?'
    assert user_content('Say hi.', Visuals()) == 'Say hi.'


def test_generation_greedy_by_default_and_when_sampling_is_off():
    greedy = Generation.from_gen_kwargs({'max_new_tokens': 16, 'temperature': 0, 'top_p': 1.0, 'num_beams': 1,
                                         'do_sample': False, 'until': ['\n\n']})
    assert greedy.request_config_kwargs() == {'max_tokens': 16, 'temperature': 0.0, 'top_p': None, 'top_k': None,
                                              'num_beams': 1, 'repetition_penalty': None, 'stop': ['\n\n'],
                                              'stream': False}
    assert Generation.from_gen_kwargs({}).temperature == 0.0
    assert Generation.from_gen_kwargs({'temperature': 0.7, 'do_sample': False}).temperature == 0.0
    sampled = Generation.from_gen_kwargs({'temperature': 0.7, 'top_p': 0.9, 'until': 'END'})
    assert (sampled.temperature, sampled.top_p, sampled.until) == (0.7, 0.9, ('END',))
    assert Generation.from_gen_kwargs({'max_gen_toks': 5}).max_tokens == 5
    assert Generation.from_gen_kwargs({}, default_max_tokens=9).max_tokens == 9
    with pytest.raises(ValueError, match='until'):
        Generation.from_gen_kwargs({'until': 3})


def test_generation_cuts_at_the_first_stop_string():
    generation = Generation.from_gen_kwargs({'until': ['\n\n', 'USER:']})
    assert generation.cut('(A) red\n\nmore USER: x') == '(A) red'
    assert generation.cut('B USER: x\n\ny') == 'B '
    assert Generation.from_gen_kwargs({'until': ['', None]}).cut('keep\n\nall') == 'keep\n\nall'
