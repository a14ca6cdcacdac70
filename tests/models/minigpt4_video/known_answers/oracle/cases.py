"""Known answers from the official MiniGPT4-video code (see harness.py). Writes known_answers JSON.

Run in a venv with torch 2.13 CPU, transformers 4.37.2, peft 0.2.0, webvtt-py 0.4.6 and the official sources
unpacked at ``harness.OFF``: ``python cases.py ka.json && python bos.py ka.json bos.json`` (bos.py also needs
sentencepiece + protobuf); official_prompts.json = ka.json + {"bos": bos.json}.
"""
import json
import pathlib
import sys
import types

import harness as H

W = pathlib.Path('/work/oracle/minigpt4/work')


def ts(sec):
    m, s = divmod(sec, 60)
    return f'00:{int(m):02d}:{s:06.3f}'


def vtt(cues):
    return 'WEBVTT\n\n' + ''.join(f'{ts(a)} --> {ts(b)}\n{t}\n\n' for a, b, t in cues)


BUDGET_CUES = [(k * 22 / 25, k * 22 / 25 + 0.3, ' '.join(f'q{k:02d}w{j:02d}z' for j in range(13))) for k in range(45)]
CASES = {
    'rules': dict(n=100, fps=10.0, N=10, words=400, cues=[
        (0.0, 0.5, 'hello  there'), (1.03, 1.07, 'blink'), (2.5, 3.0, 'hello  there'), (3.5, 6.0, 'the outer cue'),
        (5.2, 5.4, 'inner'), (7.0, 7.5, 'the cat sat'), (7.6, 8.0, 'the cat ran'), (8.2, 8.4, 'a dog'),
        (9.0, 9.5, 'two\nlines')]),
    'ntsc': dict(n=90, fps=30000 / 1001, N=9, words=400, cues=[(0.4, 0.55, 'early'), (0.68, 0.69, 'edge')]),
    'budget_llama2_40s': dict(n=1000, fps=25.0, N=45, words=400, cues=BUDGET_CUES),
    'short_clip': dict(n=7, fps=10.0, N=45, words=400, cues=[(0.2, 0.4, 'tiny')]),
    # cues between two decoded frames whose end is the later frame's time (0.3 s = frame 3, ...); the last starts
    # on a frame time
    'end_on_frame': dict(n=60, fps=10.0, N=6, words=400, cues=[
        (0.25, 0.3, 'alpha'), (1.05, 1.1, 'bravo'), (2.35, 2.4, 'charlie'), (3.75, 3.8, 'delta'),
        (4.05, 4.1, 'echo'), (4.6, 4.65, 'foxtrot')]),
}
QUESTION = 'What happens?'

out = {'_source': 'Vision-CAIR/MiniGPT4-video@ecabd7a: minigpt4_video_inference.py prepare_input / '
       'match_frames_and_subtitles + conversation.py CONV_VISION.get_prompt (inference); video_datasets.py '
       'VideoChatGPTEvalDataset.__getitem__ + eval_utils.prepare_texts(template="") (eval); '
       'VideoChatGPTDataset.__getitem__ (train). Run by /work/oracle/minigpt4/cases.py on fake videos whose '
       'frames carry their decode index.', 'question': QUESTION, 'cases': {}}
for name, c in CASES.items():
    d = W / name
    d.mkdir(parents=True, exist_ok=True)
    video, subs = str(d / 'v.mp4'), d / 'v.vtt'
    subs.write_text(vtt(c['cues']))
    H.VIDEOS[video] = (c['n'], c['fps'])
    mistral = c['N'] == 90
    # inference: max frames / words come from the ckpt name (45/400 llama) -> only run for N == 45/90 there
    inf = None
    if c['N'] in (45, 90):
        idx, body, prompt = H.run_inference(video, str(subs), QUESTION, mistral=mistral)
    else:  # same official function with this case's N and word budget
        H.ns['args'] = types.SimpleNamespace(ckpt='x')
        interval, fps = H.ns['extract_video_info'](video, c['N'])
        frames, body = H.ns['match_frames_and_subtitles'](video, H.ns['extract_subtitles'](str(subs)), interval,
                                                         c['words'], fps, c['N'])
        body += '\n' + QUESTION
        conv = H.CONV_VISION.copy()
        conv.system = ''
        conv.append_message(conv.roles[0], body)
        conv.append_message(conv.roles[1], None)
        idx, prompt = frames.flatten().tolist(), conv.get_prompt()
    e_idx, e_instr, e_prompt = H.run_eval(video, str(subs), QUESTION, c['N'], c['words'])
    t_idx, t_instr = H.run_train(video, str(subs), QUESTION, c['N'], c['words'])
    out['cases'][name] = {
        'num_frames_in_video': c['n'], 'fps': c['fps'], 'num_frames': c['N'], 'max_subtitle_words': c['words'],
        'vtt': subs.read_text(),
        'inference': {'indices': idx, 'prompt': prompt, 'captions': H.split_body(body)},
        'eval': {'indices': e_idx, 'prompt': e_prompt, 'captions': H.split_body(e_instr)},
        'train': {'indices': t_idx, 'instruction': t_instr, 'captions': H.split_body(t_instr),
                  'text': '[INST] ' + t_instr + '[/INST]'},
    }
pathlib.Path(sys.argv[1]).write_text(json.dumps(out, indent=1))
for name, r in out['cases'].items():
    for mode in ('inference', 'eval', 'train'):
        caps = r[mode]['captions']
        print(name, mode, len(r[mode]['indices']), sum(1 for x in caps if x), caps[:12])

# Conversation format with a system message and with two rounds (conversation.py Conversation.get_prompt)
conv = H.CONV_VISION.copy()
conv.system = 'Be brief.'
conv.append_message(conv.roles[0], 'BODY')
conv.append_message(conv.roles[1], None)
two = H.CONV_VISION.copy()
two.system = ''
for q, a in (('BODY', 'A1'), ('Q2', None)):
    two.append_message(two.roles[0], q)
    two.append_message(two.roles[1], a)
out['conversation'] = {'_source': 'minigpt4/conversation/conversation.py CONV_VISION.copy().get_prompt()',
                       'system': conv.get_prompt(), 'two_rounds': two.get_prompt()}
print(out['conversation'])
pathlib.Path(sys.argv[1]).write_text(json.dumps(out, indent=1))
