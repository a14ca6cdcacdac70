"""MiniGPT4-Video against the official code: frame indices, per-frame subtitle captions and the exact prompts.

Expected values in ``known_answers/official_prompts.json`` come from running Vision-CAIR/MiniGPT4-video @ ecabd7a
(``known_answers/oracle/cases.py``): ``minigpt4_video_inference.py`` ``prepare_input`` /
``match_frames_and_subtitles`` with ``conversation.py`` ``CONV_VISION.get_prompt`` (inference),
``video_datasets.py`` ``VideoChatGPTEvalDataset.__getitem__`` + ``eval_utils.prepare_texts`` (eval),
``VideoChatGPTDataset.__getitem__`` and the ``[INST] …[/INST]`` wrap of ``mini_gpt4_llama_v2.py`` (training), and
``MiniGPT4_Video.get_context_emb`` with a slow ``LlamaTokenizer`` for the BOS count (``known_answers/oracle/bos.py``).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from swift_video_ext.models.minigpt4_video.processing_minigpt4_video import frame_captions
from swift_video_ext.video.sampling import select_indices
from swift_video_ext.video.subtitles import Subtitles, parse_cues
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template

KNOWN = json.loads((Path(__file__).parent / 'known_answers' / 'official_prompts.json').read_text())
CASES, QUESTION, ANSWER = KNOWN['cases'], KNOWN['question'], 'It moves.'
MODES = ('inference', 'eval', 'train')
TEMPLATES = {'train': 'minigpt4_video_llama2', 'eval': 'minigpt4_video_llama2_eval',
             'inference': 'minigpt4_video_llama2_infer'}


def real_indices(indices):
    """The official frame list without the eval/train padding (repeats of the last frame)."""
    return list(dict.fromkeys(indices))


@pytest.mark.parametrize('name', sorted(CASES))
def test_frame_indices_and_padding_match_official(name):
    case = CASES[name]
    times = np.arange(case['num_frames_in_video']) / case['fps']
    ours = select_indices(times, 'interval', num_frames=case['num_frames']).tolist()
    assert ours == case['inference']['indices']  # inference: never padded
    for mode in ('eval', 'train'):  # eval / train: padded to N with the last frame
        padded = case[mode]['indices']
        assert len(padded) == case['num_frames']
        assert padded == ours + [ours[-1]] * (case['num_frames'] - len(ours))


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('name', sorted(CASES))
def test_per_frame_captions_match_official(tmp_path, name, mode):
    case = CASES[name]
    path = tmp_path / 'subs.vtt'
    path.write_text(case['vtt'])
    cues = Subtitles.load(path).file_cues
    assert cues == parse_cues(case['vtt'])
    indices = real_indices(case[mode]['indices'])
    want = [caption or '' for caption in case[mode]['captions'][:len(indices)]]
    assert frame_captions(cues, indices, case['fps'], case['max_subtitle_words'], mode) == want


def test_budget_case_stops_at_29_captions_like_the_official():
    """40 s clip, Llama-2's 400-word budget, 13-word cues: ``len(text.split(' '))`` counts 14 per caption."""
    case = CASES['budget_llama2_40s']
    for mode in MODES:
        assert sum(1 for caption in case[mode]['captions'] if caption) == 29
    cues = parse_cues(case['vtt'])
    assert sum(map(bool, frame_captions(cues, case['inference']['indices'], case['fps'], 400, 'inference'))) == 29


def test_official_subtitle_rules_spelled_out():
    """The rules the known answers exercise, readable, on the official values and ours: a short cue is never used,
    text is de-duplicated, an inner cue is dropped in eval, double spaces are kept (inference/eval), repeated words
    are dropped in training."""
    case = CASES['rules']
    cues, indices = parse_cues(case['vtt']), real_indices(case['inference']['indices'])
    official = [[c or '' for c in case[mode]['captions']] for mode in MODES]
    ours = [frame_captions(cues, indices, case['fps'], 400, mode) for mode in MODES]
    for inference, evaluation, train in (official, ours):
        assert not any('blink' in c for c in inference + evaluation + train)  # 1.03-1.07 s, frames 0.1 s apart
        assert [c for c in inference if 'hello' in c] == ['hello  there ']  # twice in the file, once here
        assert 'inner ' in inference and not any('inner' in c for c in evaluation)
        assert train[8] == 'ran ' and evaluation[8] == 'the cat ran '


def test_a_cue_that_ends_on_a_frame_time_is_shown_at_that_frame():
    """Cues lying between two decoded frames (10 fps) whose end is the later frame's time: every mode shows each at
    that frame (start <= t <= end, the end included), on the official values and ours; the last cue starts on one."""
    case = CASES['end_on_frame']
    cues, indices = parse_cues(case['vtt']), real_indices(case['inference']['indices'])
    assert [(c.start, c.end) for c in cues[:5]] == [(0.25, 0.3), (1.05, 1.1), (2.35, 2.4), (3.75, 3.8), (4.05, 4.1)]
    assert indices == [0, 10, 20, 30, 40, 50]
    want = ['', 'alpha ', 'bravo ', 'charlie ', 'delta ', 'echo foxtrot ']
    for mode in MODES:
        assert [c or '' for c in case[mode]['captions'][:6]] == want, mode
        assert frame_captions(cues, indices, case['fps'], 400, mode) == want, mode


def official_ids(tokenizer, prompt, answer=None, bos=True):
    """Ids the official code feeds: the prompt split on ``<ImageHere>``, each segment encoded on its own without
    special tokens (a literal ``<s>`` is still a BOS), 4 image slots per frame; one BOS first (inference:
    ``add_special_tokens`` on segment 0; training: the prepended BOS embedding); ``answer + "</s>"`` after."""
    ids = [tokenizer.bos_token_id] if bos else []
    segments = prompt.split('<ImageHere>')
    for k, segment in enumerate(segments):
        ids += tokenizer.encode(segment, add_special_tokens=False) + ([0] * 4 if k < len(segments) - 1 else [])
    prompt_length = len(ids)
    if answer is not None:
        ids += tokenizer.encode(answer + '</s>', add_special_tokens=False)
    return ids, prompt_length


@pytest.mark.parametrize('name', ['rules', 'short_clip', 'budget_llama2_40s', 'end_on_frame'])
@pytest.mark.parametrize('mode', MODES)
def test_templates_reproduce_the_official_prompts(tiny_minigpt, tmp_path, monkeypatch, name, mode):
    case = CASES[name]
    clip = write_counter_clip(tmp_path / 'v.mp4', num_frames=case['num_frames_in_video'], fps=case['fps'],
                              width=64, height=48)
    (tmp_path / 'v.vtt').write_text(case['vtt'])
    monkeypatch.setenv('NUM_FRAMES', str(case['num_frames']))
    monkeypatch.setenv('MAX_SUBTITLE_WORDS', str(case['max_subtitle_words']))
    template = make_template(tiny_minigpt, 'minigpt4_video', TEMPLATES[mode])
    enc = template.encode({'messages': [{'role': 'user', 'content': f'<video>{QUESTION}'},
                                        {'role': 'assistant', 'content': ANSWER}], 'videos': [str(clip)]})
    prompt = case[mode]['text' if mode == 'train' else 'prompt']
    ids, prompt_length = official_ids(template.tokenizer, prompt, ANSWER)
    assert enc['input_ids'] == ids
    assert enc['labels'] == [-100] * prompt_length + ids[prompt_length:]
    assert enc['pixel_values'].shape[0] == len(case[mode]['indices'])


def test_inference_template_has_the_official_double_bos(tiny_minigpt, tmp_path):
    """``get_context_emb`` gives two BOS (add_special_tokens + the literal ``<s>``); training gives one."""
    clip = write_counter_clip(tmp_path / 'v.mp4', num_frames=12, fps=6, width=64, height=48)
    row = {'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(clip)]}
    bos = KNOWN['bos']
    assert bos['inference_leading_bos'] == 2 and not any(bos['inference_bos_per_segment'][1:])
    for name, leading in (('minigpt4_video_llama2_infer', 2), ('minigpt4_video_llama2_eval', 2),
                          ('minigpt4_video_llama2', 1)):
        template = make_template(tiny_minigpt, 'minigpt4_video', name, mode='transformers')
        ids = template.encode(row)['input_ids']
        bos_id = template.tokenizer.bos_token_id
        assert ids[:leading] == [bos_id] * leading and ids[leading] != bos_id
        assert ids.count(bos_id) == leading


def test_measured_fps_snaps_to_the_nominal_rate():
    """A 10 fps clip measures 9.999999999999998 fps; the official int(fps) would make that 9 (frame times 11 % off)."""
    from swift_video_ext.models.minigpt4_video.processing_minigpt4_video import nominal_fps

    assert nominal_fps(9.999999999999998) == 10.0
    assert nominal_fps(29.97002997002997 + 1e-9) == 30000 / 1001
    assert nominal_fps(12.5) == 12.5
