"""MiniGPT4-Video rows: system messages, multi-turn rows with the video in a history turn, unreadable subtitle
files, and which subtitle file a row gets (``chat_template_kwargs`` → ``$SUBTITLE_ROOT`` → next to the video)."""

import json
from pathlib import Path

import pytest

from swift_video_ext.common import bad_samples
from swift_video_ext.video.synthetic import write_counter_clip, write_subtitles
from tests.helpers import make_template

from .test_official_prompts import official_ids

KNOWN = json.loads((Path(__file__).parent / 'known_answers' / 'official_prompts.json').read_text())
CONVERSATION = KNOWN['conversation']  # conversation.py CONV_VISION.get_prompt with a system / with two rounds


@pytest.fixture(scope='module')
def tiny_minigpt(tiny_checkpoint):
    return tiny_checkpoint('minigpt4_video', num_frames=2, max_subtitle_words=50)


@pytest.fixture
def clip(tmp_path):
    return write_counter_clip(tmp_path / 'talk.mp4', num_frames=20, fps=10, width=64, height=48)  # frames 0, 10


BODY = '<Img><ImageHere><Img><ImageHere>\nQ'  # the body of '<video>Q' on the clip (no subtitles)


def official(prompt_with_body_marker, body=BODY):
    return prompt_with_body_marker.replace('BODY', body)


def test_system_message_where_the_official_conversation_puts_it(tiny_minigpt, clip):
    """Official ``get_prompt``: ``system + "<s>" + "[INST] " …``; the inference template gives exactly that (after
    the BOS of ``add_special_tokens``); the training template puts the system text before ``[INST]`` too."""
    row = {'messages': [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': '<video>Q'}],
           'videos': [str(clip)]}
    infer = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2_infer', mode='transformers')
    assert CONVERSATION['system'] == 'Be brief.<s>[INST] BODY [/INST]'
    assert infer.encode(row)['input_ids'] == official_ids(infer.tokenizer, official(CONVERSATION['system']))[0]
    train = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2')
    row['messages'].append({'role': 'assistant', 'content': 'A'})
    enc = train.encode(row)
    ids, prompt_length = official_ids(train.tokenizer, f'Be brief.[INST] {BODY}[/INST]', 'A')
    assert enc['input_ids'] == ids and enc['labels'] == [-100] * prompt_length + ids[prompt_length:]


def test_multi_turn_row_keeps_the_video_in_its_history_turn(tiny_minigpt, clip):
    messages = [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A1'},
                {'role': 'user', 'content': 'Q2'}]
    infer = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2_infer', mode='transformers')
    enc = infer.encode({'messages': messages, 'videos': [str(clip)]})
    assert CONVERSATION['two_rounds'] == '<s>[INST] BODY [/INST]A1[INST] Q2 [/INST]'
    assert enc['input_ids'] == official_ids(infer.tokenizer, official(CONVERSATION['two_rounds']))[0]
    assert enc['pixel_values'].shape[0] == 2
    train = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2')
    enc = train.encode({'messages': messages + [{'role': 'assistant', 'content': 'A2'}], 'videos': [str(clip)]})
    ids, _ = official_ids(train.tokenizer, f'[INST] {BODY}[/INST]A1</s>[INST] Q2[/INST]', 'A2')
    assert enc['input_ids'] == ids and enc['pixel_values'].shape[0] == 2
    assert enc['input_ids'].count(0) == 8  # 2 frames x 4 image tokens


@pytest.mark.parametrize('content', [b'1\n00:00:00,000 --> 00:00:00,500\ncaf\xe9 cr\xe8me\n',
                                     b'\xc3(\x9d\xff garbage \xfe\x80 not subtitles \x9d',
                                     b'\x00\x01\x02\x03binary'])
def test_unreadable_or_latin1_subtitle_file_never_costs_the_row(tiny_minigpt, clip, content, capsys):
    subtitles = clip.with_suffix('.srt')
    subtitles.write_bytes(content)
    before = bad_samples.bad_subtitle_files().get(str(subtitles), 0)
    template = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2')
    row = {'messages': [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A'}],
           'videos': [str(clip)]}
    for _ in range(2):
        enc = template.encode(row)
    text = template.tokenizer.decode(enc['input_ids'])
    counted = bad_samples.bad_subtitle_files().get(str(subtitles), 0) - before
    warnings = capsys.readouterr().err.count(f'unreadable subtitle file, its row is used without subtitles: '
                                             f'{subtitles}')
    if content.startswith(b'1\n'):  # latin-1 bytes: decoded as cp1252, used
        assert '<Cap>café crème ' in text and counted == 0 and warnings == 0
    else:  # garbage: the row trains without subtitles, counted per row, warned once per file
        assert '<Cap>' not in text and enc['pixel_values'].shape[0] == 2
        assert counted == 2 and warnings == (1 if before == 0 else 0)


def test_subtitle_lookup_order_with_every_candidate_present(tiny_minigpt, clip, tmp_path, monkeypatch):
    """Row's ``chat_template_kwargs`` first, then ``$SUBTITLE_ROOT/<stem>.*``, then the file next to the video."""
    named = write_subtitles(tmp_path / 'named.vtt', [(0.0, 0.5, 'from the row')])
    root = tmp_path / 'root'
    write_subtitles(root / 'talk.vtt', [(0.0, 0.5, 'from the root')])
    write_subtitles(clip.with_suffix('.vtt'), [(0.0, 0.5, 'next to it')])
    monkeypatch.setenv('SUBTITLE_ROOT', str(root))
    template = make_template(tiny_minigpt, 'minigpt4_video', 'minigpt4_video_llama2', mode='transformers')

    def caption(**extra):
        row = {'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(clip)], **extra}
        return template.tokenizer.decode(template.encode(row)['input_ids']).split('<Cap>')[1].split(' <Img>')[0]

    assert caption(chat_template_kwargs={'subtitles': str(named)}) == 'from the row'
    assert caption() == 'from the root'
    monkeypatch.delenv('SUBTITLE_ROOT')
    assert caption() == 'next to it'
