"""Known answers: the prompts PLLaVA's evaluation scripts build, from the official ``Conversation`` class.

Usage: python pllava_prompts.py <PLLaVA mirror> <output json>

Executes magic-research/PLLaVA ``tasks/eval/eval_utils.py`` from the mirror (heavy imports stubbed: cv2, imageio,
moviepy, decord, transformers, torch, torchvision; ``utils/easydict.py`` is the repository's own) and builds each
conversation exactly as the scripts do:
- ``pllava_eval_mvbench.py`` ``infer_mvbench``: ``conv_templates['eval_mvbench']``, ``user_query(question, None,
  '\\nOnly give the best option.', is_mm=True)``, ``assistant_response('Best option:(')``;
- ``pllava_eval_videoqabench.py`` ``infer_videoqabench``: ``conv_templates['eval_videoqabench']`` with its own
  pre/post query prompts and answer prompt;
- ``pllava_eval_vcgbench.py`` ``infer_vcgbench``: ``conv_templates['eval_vcgbench']``, ``user_query(question,
  None, None, is_mm=True)``.
The question of the MVBench case is ``MVBenchDataset.qa_template`` of a fixed item.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import git_head, git_show, stub_module  # noqa: E402


class _Any:
    def __init__(self, *a, **k):
        pass

    def __getattr__(self, k):
        return _Any()

    def __call__(self, *a, **k):
        return _Any()


def main(repo, output):
    for name in ('cv2', 'imageio', 'moviepy', 'moviepy.editor', 'decord', 'transformers', 'torch', 'torch.utils',
                 'torch.utils.data', 'torchvision', 'torchvision.transforms', 'torchvision.transforms.functional',
                 'PIL', 'PIL.Image', 'numpy'):
        stub_module(name, VideoFileClip=_Any, VideoReader=_Any, cpu=_Any, StoppingCriteria=object,
              StoppingCriteriaList=_Any, AutoProcessor=_Any, AutoModelForZeroShotObjectDetection=_Any,
              Dataset=object, InterpolationMode=_Any, Image=_Any, device=_Any, cuda=_Any(), LongTensor=_Any,
              FloatTensor=_Any, Tensor=_Any)
    easydict = {'__name__': 'utils.easydict'}
    exec(compile(git_show(repo, 'utils/easydict.py'), 'utils/easydict.py', 'exec'), easydict)
    stub_module('utils')
    stub_module('utils.easydict', EasyDict=easydict['EasyDict'])
    ns = {'__name__': 'tasks.eval.eval_utils'}
    exec(compile(git_show(repo, 'tasks/eval/eval_utils.py'), 'tasks/eval/eval_utils.py', 'exec'), ns)
    templates = ns['conv_templates']
    mvbench = {'question': 'What colour is the video?', 'candidates': ['red', 'green', 'blue', 'black'],
               'answer': 'green'}
    mvbench_ns = {'__name__': 'mvbench'}
    stub_module('tasks')
    stub_module('tasks.eval')
    stub_module('tasks.eval.eval_utils', dump_json=_Any, load_json=_Any, EvalDataset=object)
    exec(compile(git_show(repo, 'tasks/eval/mvbench/__init__.py'), 'mvbench', 'exec'), mvbench_ns)
    question, answer = mvbench_ns['MVBenchDataset'].qa_template(None, mvbench)
    cases = {}
    conv = templates['eval_mvbench'].copy()
    conv.user_query(question, None, '\nOnly give the best option.', is_mm=True)
    conv.assistant_response('Best option:(')
    cases['mvbench'] = {'item': mvbench, 'question': question, 'answer': answer, 'prompt': conv.get_prompt()}
    conv = templates['eval_videoqabench'].copy()
    conv.user_query('what is the man doing?', conv.pre_query_prompt, conv.post_query_prompt, is_mm=True)
    conv.assistant_response(conv.answer_prompt)
    cases['videoqa'] = {'question': 'what is the man doing?', 'prompt': conv.get_prompt()}
    conv = templates['eval_vcgbench'].copy()
    conv.user_query('Describe the video.', None, None, is_mm=True)
    cases['vcgbench'] = {'question': 'Describe the video.', 'prompt': conv.get_prompt()}
    commit = git_head(repo)
    with open(output, 'w', encoding='utf-8') as f:
        json.dump({'official_repo': 'magic-research/PLLaVA', 'commit': commit, 'file': 'tasks/eval/eval_utils.py',
                   'function': 'Conversation.user_query / assistant_response / get_prompt', 'cases': cases}, f,
                  indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
