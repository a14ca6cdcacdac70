"""Writes swift_video_ext/eval/judge_prompts.json from the official code (prompts are protocol data, read verbatim).

Usage: python extract_judge_prompts.py <PLLaVA mirror> <MiniGPT4-video mirror> <output json>

- PLLaVA @ 6f49fd2: executes tasks/eval/{videoqabench,vcgbench}/__init__.py with the heavy imports stubbed and reads
  ``task_type2chatgpt_contents`` / ``sub_task_type2chatgpt_contents`` (already str.format templates).
- MiniGPT4-video @ ecabd7a: runs each GPT_evaluation/evaluate_*.py ``annotate`` with a fake ``openai`` that records
  the messages; field values are sentinels, turned back into str.format placeholders (literal braces doubled).
Nothing of the official code is copied: the files are executed from the mirror.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import git_head, git_show, stub_module  # noqa: E402


class _Any:
    def __init__(self, *a, **k): pass
    def __getattr__(self, k): return _Any()
    def __call__(self, *a, **k): return _Any()

def run_module(repo, path, name):
    for mod in ['torch', 'PIL', 'PIL.Image', 'decord', 'openai', 'tqdm', 'numpy', 'cv2', 'imageio']:
        stub_module(mod, OpenAI=_Any, VideoReader=_Any, cpu=_Any, Image=_Any, tqdm=_Any)
    stub_module('tasks')
    stub_module('tasks.eval')
    stub_module('tasks.eval.eval_utils', dump_json=_Any, load_json=_Any, EvalDataset=object)
    ns = {'__name__': name}
    exec(compile(git_show(repo, path), path, 'exec'), ns)
    return ns

PLLAVA, MG = sys.argv[1], sys.argv[2]
out = {}
ns = run_module(PLLAVA, 'tasks/eval/videoqabench/__init__.py', 'videoqabench')
out['pllava_videoqa'] = {'file': 'tasks/eval/videoqabench/__init__.py', 'object': 'task_type2chatgpt_contents',
                         'model': 'gpt-3.5-turbo-0125', 'prompts': dict(ns['task_type2chatgpt_contents'])}
ns = run_module(PLLAVA, 'tasks/eval/vcgbench/__init__.py', 'vcgbench')
key = [k for k, v in ns.items() if isinstance(v, dict) and 'temporal' in str(v)[:2000] and k.endswith('contents')]
out['pllava_vcgbench'] = {'file': 'tasks/eval/vcgbench/__init__.py', 'object': key[0], 'model': 'gpt-3.5-turbo-0125',
                          'prompts': dict(ns[key[0]])}

# MiniGPT4-Video GPT_evaluation: run annotate() with a fake openai that records the messages; sentinel values mark
# the fields, literal braces are escaped so the result is a str.format template.
SENT = {k: f'\x00{k}\x00' for k in ('question', 'question1', 'question2', 'answer', 'pred', 'pred1', 'pred2')}
def capture(path, qa_set):
    captured = {}
    class ChatCompletion:
        @staticmethod
        def create(model, messages, **kw):
            captured['model'], captured['messages'] = model, messages
            raise RuntimeError('captured')
    fake = stub_module('openai', ChatCompletion=ChatCompletion, api_key=None)
    ns = {'__name__': 'gpt_eval'}
    exec(compile(git_show(MG, path), path, 'exec'), ns)
    ns['openai'] = fake
    ns['annotate']({'k': qa_set}, ['k.json'], '/nonexistent')
    def template(text):
        text = text.replace('{', '{{').replace('}', '}}')
        for k, v in SENT.items():
            text = text.replace(v, '{' + k + '}')
        return text
    msgs = captured['messages']
    return {'file': path, 'function': 'annotate', 'model': captured['model'],
            'system': template(msgs[0]['content']), 'user': template(msgs[1]['content'])}
single = {'q': SENT['question'], 'a': SENT['answer'], 'pred': SENT['pred']}
pair = {'q1': SENT['question1'], 'q2': SENT['question2'], 'a': SENT['answer'], 'pred1': SENT['pred1'],
        'pred2': SENT['pred2']}
mg = {'zeroshot': capture('GPT_evaluation/evaluate_zeroshot.py', single)}
for n, name in [(1, 'correctness'), (2, 'detailed_orientation'), (3, 'context'), (4, 'temporal'), (5, 'consistency')]:
    mg[name] = capture(f'GPT_evaluation/evaluate_benchmark_{n}_{name}.py', pair if n == 5 else single)
commits = {r: git_head(r) for r in (PLLAVA, MG)}
result = {'pllava': {'repo': 'magic-research/PLLaVA', 'commit': commits[PLLAVA], **out},
          'minigpt4_video': {'repo': 'Vision-CAIR/MiniGPT4-video', 'commit': commits[MG], 'prompts': mg}}
with open(sys.argv[3], 'w', encoding='utf-8') as f:
    json.dump(result, f, indent=1, ensure_ascii=False)
    f.write('\n')
