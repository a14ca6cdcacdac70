"""MiniGPT4-Video template: exact sequences with and without subtitles, word budget, padding, image stage."""

import numpy as np
import pytest
import torch

from swift_video_ext.models.minigpt4_video.processing_minigpt4_video import MiniGPT4VideoProcessor, frame_captions
from swift_video_ext.video import sample_video
from swift_video_ext.video.subtitles import SubtitleCue
from swift_video_ext.video.synthetic import write_counter_clip, write_subtitles
from tests.helpers import make_template


@pytest.fixture
def clip(tmp_path):
    return write_counter_clip(tmp_path / 'talk.mp4', num_frames=40, fps=10)  # 4 s, interval 6 -> 0.0, 0.6 .. 3.0 s


def expected_sequence(template, segments, answer=None):
    """Segment-by-segment tokenisation: strings encode separately, ints are image slots (4 per frame)."""
    tok = template.tokenizer
    ids = [tok.bos_token_id]
    for segment in segments:
        ids += [0] * 4 if segment is None else tok.encode(segment, add_special_tokens=False)
    prompt = len(ids)
    if answer is not None:
        ids += tok.encode(answer, add_special_tokens=False) + [tok.eos_token_id]
    return ids, prompt


def test_without_subtitles(tiny_minigpt, clip):
    template = make_template(tiny_minigpt, 'minigpt4_video')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>What happens?'},
                                        {'role': 'assistant', 'content': 'Colours move.'}], 'videos': [str(clip)]})
    segments = ['[INST] <Img>', None] + [x for _ in range(5) for x in ('<Img>', None)] + ['\nWhat happens?[/INST]']
    ids, prompt = expected_sequence(template, segments, 'Colours move.')
    assert enc['input_ids'] == ids
    assert enc['labels'] == [-100] * prompt + ids[prompt:]
    assert enc['pixel_values'].shape == (6, 3, 56, 56)


def test_with_subtitles_next_to_video(tiny_minigpt, clip):
    write_subtitles(clip.with_suffix('.srt'), [(0.0, 0.5, 'hello there'), (0.7, 1.1, 'look a square'),
                                               (1.3, 2.0, 'it moves right now again'), (2.5, 3.5, 'over budget')])
    template = make_template(tiny_minigpt, 'minigpt4_video', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>Why?'}], 'videos': [str(clip)]})
    # frames at 0.0 0.6 1.2 1.8 2.4 3.0 s; budget 5 words: "hello there"(2) + "look a square"(3) reach 5 -> stop
    segments = ['[INST] <Img>', None, '<Cap>hello there <Img>', None, '<Img>', None, '<Cap>look a square <Img>',
                None, '<Img>', None, '<Img>', None, '\nWhy?[/INST]']
    assert enc['input_ids'] == expected_sequence(template, segments)[0]


def test_frames_padded_by_repeating_the_last(tiny_minigpt, tmp_path):
    short = write_counter_clip(tmp_path / 'short.mp4', num_frames=4, fps=4)
    template = make_template(tiny_minigpt, 'minigpt4_video', mode='transformers')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(short)]})
    assert enc['pixel_values'].shape[0] == 6 and enc['input_ids'].count(0) == 24
    torch.testing.assert_close(enc['pixel_values'][3], enc['pixel_values'][5])
    frames = sample_video(short, 'interval', num_frames=6).frames
    expected = template.processor.preprocess_frames(list(frames) + [frames[-1]] * 2)
    torch.testing.assert_close(enc['pixel_values'], expected)


def test_subtitles_named_in_the_row_and_subtitle_root(tiny_minigpt, clip, tmp_path, monkeypatch):
    named = write_subtitles(tmp_path / 'named.vtt', [(0.0, 1.0, 'named file')])
    template = make_template(tiny_minigpt, 'minigpt4_video', mode='transformers')
    row = {'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(clip)],
           'chat_template_kwargs': {'subtitles': str(named)}}
    assert 'named file' in template.tokenizer.decode(template.encode(row)['input_ids'])
    root = tmp_path / 'subs'
    write_subtitles(root / 'talk.en.vtt', [(0.0, 1.0, 'from the root')])
    monkeypatch.setenv('SUBTITLE_ROOT', str(root))
    row = {'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(clip)]}
    assert 'from the root' in template.tokenizer.decode(template.encode(row)['input_ids'])


def test_image_stage_layout(tiny_minigpt, tmp_path):
    from PIL import Image

    image = tmp_path / 'pic.png'
    Image.fromarray(np.zeros((20, 30, 3), dtype=np.uint8)).save(image)
    template = make_template(tiny_minigpt, 'minigpt4_video')
    enc = template.encode({'messages': [{'role': 'user', 'content': '<image>Describe this image in detail.'},
                                        {'role': 'assistant', 'content': 'Black.'}], 'images': [str(image)]})
    ids, _ = expected_sequence(template, ['[INST] <Img>', None, '</Img>Describe this image in detail.[/INST]'],
                               'Black.')
    assert enc['input_ids'] == ids and enc['pixel_values'].shape == (1, 3, 56, 56)


def test_budget_overshoots_by_one_caption_like_the_original():
    # one cue per sampled frame (fps 1, frames 0..3); 'a b c ' counts 4 (len(text.split(' '))), so budget 4 stops
    cues = [SubtitleCue(0.0, 0.5, 'a b c'), SubtitleCue(2.0, 2.5, 'd e'), SubtitleCue(3.0, 3.5, 'f')]
    assert frame_captions(cues, [0, 1, 2, 3], 1.0, 4) == ['a b c ', '', '', '']
    assert frame_captions(cues, [0, 1, 2, 3], 1.0, 5) == ['a b c ', '', 'd e ', '']
    assert frame_captions(cues, [0, 1], 1.0, 0) == ['', '']


def test_imagenet_bicubic_preprocessing():
    from PIL import Image

    from swift_video_ext.models.minigpt4_video.tiny import tiny_tokenizer

    processor = MiniGPT4VideoProcessor(tiny_tokenizer(), image_size=8)
    frame = np.random.default_rng(0).integers(0, 256, (10, 20, 3), dtype=np.uint8)
    got = processor.preprocess_frames([frame])
    resized = np.asarray(Image.fromarray(frame).resize((8, 8), Image.BICUBIC)).astype(np.float32) / 255
    want = (resized - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    torch.testing.assert_close(got[0], torch.from_numpy(want).permute(2, 0, 1).float())
