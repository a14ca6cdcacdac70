"""Known answers for GPT-judged open-ended VideoQA (MSVD/MSRVTT/ActivityNet/TGIF-QA): PLLaVA
``tasks/eval/videoqabench`` and MiniGPT4-Video ``GPT_evaluation/evaluate_zeroshot.py``, run on fixed judge replies.

The OpenAI client is a fake (``_loader.FakeJudge``) answering from ``REPLIES``; no network. Usage (oracle venv):
    python tests/eval/known_answers/oracle/videoqa.py --pllava <PLLaVA mirror> --minigpt4 <MiniGPT4-video mirror> \
        --out tests/eval/known_answers/videoqa_aggregation.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import (  # noqa: E402
    FakeJudge,
    JudgeUnreachable,
    ScriptedReplies,
    SequentialPool,
    header,
    load_official,
    pllava_eval_utils_stub,
    run_script_main,
    stub_heavy_imports,
    write_json,
)

PLLAVA_FILE = 'tasks/eval/videoqabench/__init__.py'
MINIGPT4_FILE = 'GPT_evaluation/evaluate_zeroshot.py'
BAD_REPLY = 'The predicted answer matches the correct answer.'

# question -> judge replies in the order they are requested (MiniGPT4-Video asks again until a reply parses; PLLaVA
# asks once). Each question is unique so that the fake judge can find the item in the user message.
REPLIES: dict[str, list] = {
    'Q01 what is the man doing?': ["{'pred': 'yes', 'score': 5}"],
    'Q02 what is the woman holding?': ["{'pred': 'no', 'score': 1}"],
    'Q03 what color is the car?': ["{'pred': 'yes', 'score': 4.8}"],
    'Q04 where is the dog?': ["{'pred': 'Yes', 'score': 3}"],
    'Q05 who is singing?': ["{'pred': 'no', 'score': '2'}"],
    'Q06 what is cooked?': [BAD_REPLY, "{'pred': 'yes', 'score': 4}"],
    'Q07 how many people?': ["{'pred': 'yes'}"],
    'Q08 what animal runs?': ["{'pred': 'maybe', 'score': 3}"],
    'Q09 what sport is played?': ["{'pred': 'unknown', 'score': 2}"],
    'Q10 what falls down?': ["{'score': 4}"],
    'Q11 what is on the table?': ["{'pred': 'yes', 'score': 'four'}"],
    'Q12 what does the boy eat?': ['{"pred": "yes", "score": 5}'],
    'Q13 what is the girl riding?': ["```python\n{'pred': 'yes', 'score': 5}\n```", "{'pred': 'yes', 'score': 5}"],
    'Q14 what is the weather?': ["{'pred': 'no', 'score': 5}"],
    'Q15 what instrument is played?': [" {'pred': 'yes', 'score': 3}\n"],
    'Q16 what is the cat chasing?': ["{'pred': 'yes', 'score': 6}"],
    'Q17 what does the man throw?': ["{'pred': 'no', 'score': 0}"],
    'Q18 what is the child doing?': ['yes', "{'pred': 'no', 'score': 2}"],
    'Q19 what is being cut?': ["{'pred': 'no', 'score': 0}"],
    'Q20 what is the woman wearing?': ["{'pred': 'yes', 'score': 3, 'reason': 'close'}"],
}
# (question, video name, correct answer, model prediction, PLLaVA task_type)
ITEMS = [
    (q, f'vid{(i // 2) + 1}', f'answer {i + 1}', f'prediction {i + 1}', 'MSVD_QA' if i < 10 else 'MSRVTT_QA')
    for i, q in enumerate(REPLIES)
]
ITEMS[18] = (ITEMS[18][0], ITEMS[18][1], ITEMS[18][2], '', ITEMS[18][4])  # an empty prediction


def load_pllava(mirror: str, judge: FakeJudge):
    stub_heavy_imports(['torch', 'PIL.Image', 'decord'])
    pllava_eval_utils_stub(mirror)
    judge.install()  # the module builds its client at import: client = OpenAI(api_key=...)
    module = load_official(mirror, PLLAVA_FILE, 'tasks.eval.videoqabench')
    module.Pool = SequentialPool
    return module


def load_minigpt4(mirror: str):
    sys.modules['openai'] = FakeJudge(lambda *_: '').module()  # replaced per run below
    module = load_official(mirror, MINIGPT4_FILE, 'minigpt4_evaluate_zeroshot')
    module.Pool = SequentialPool
    return module


def pllava_run(module, items: list[tuple], replies: dict[str, list]) -> dict:
    """check_ans_qa via save_results (the official path), judge client swapped for a fresh scripted fake."""
    judge = FakeJudge(ScriptedReplies(replies))
    module.client = judge.module().OpenAI()
    result_list = [{'pred': pred, 'gt': gt, 'question': q, 'task_type': task, 'video_path': f'{vid}.avi'}
                   for q, vid, gt, pred, task in items]
    with tempfile.TemporaryDirectory() as tmp:
        try:
            module.save_results(result_list, tmp)
        except BaseException as exc:  # noqa: BLE001 - the crash is the recorded outcome
            return {'raises': type(exc).__name__, 'message': str(exc), 'judge_calls': len(judge.calls)}
        with open(os.path.join(tmp, 'upload_leaderboard.json')) as f:
            leaderboard = json.load(f)
        with open(os.path.join(tmp, 'all_results.json')) as f:
            all_results = json.load(f)
    return {'upload_leaderboard.json': leaderboard, 'acc_dict': all_results['acc_dict'],
            'per_item': [{'question': r['question'], 'correct': r['correct'], 'score': r['score']}
                         for r in all_results['result_list']],
            'judge_models': sorted({c['model'] for c in judge.calls}), 'judge_calls': len(judge.calls)}


def minigpt4_run(module, items: list[tuple], replies: dict[str, list], max_asks: int = 50) -> dict:
    """evaluate_zeroshot.main() on a pred file of ``items``; returns what it printed and the per-item judge files."""
    scripted = ScriptedReplies(replies, max_asks=max_asks)
    judge = FakeJudge(scripted)
    module.openai = judge.module()
    preds = [{'video_name': vid, 'Q': q, 'A': gt, 'pred': pred} for q, vid, gt, pred, _ in items]
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = os.path.join(tmp, 'preds.json')
        with open(pred_path, 'w') as f:
            json.dump(preds, f)
        out_dir = os.path.join(tmp, 'judged')
        outcome = run_script_main(module, ['--pred_path', pred_path, '--output_dir', out_dir, '--output_json',
                                           os.path.join(tmp, 'combined.json'), '--api_key', 'none', '--num_tasks', '4'])
        stored = {}
        for name in sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []:
            with open(os.path.join(out_dir, name)) as f:
                stored[name] = json.load(f)
    outcome['stdout'] = [line for line in outcome['stdout'] if not line.startswith(('completed_files', 'incomplete'))]
    outcome['printed'] = _printed_numbers(outcome['stdout'])
    outcome['judge_requests_per_question'] = dict(scripted.asks)
    outcome['judge_models'] = sorted({c['model'] for c in judge.calls})
    outcome['stored_judgements'] = stored
    return outcome


def _printed_numbers(lines: list[str]) -> dict:
    """The numbers evaluate_zeroshot.main() prints ('Yes count: 3', 'Accuracy: 0.6', ...), parsed as Python literals."""
    numbers = {}
    for line in lines:
        name, sep, value = line.partition(': ')
        if sep and name in ('Yes count', 'No count', 'Accuracy', 'Average score'):
            numbers[name] = json.loads(value)
    return numbers


def pllava_prompts(module) -> dict:
    contents = module.task_type2chatgpt_contents
    first = next(iter(contents.values()))
    return {
        'source': f'{PLLAVA_FILE}: task_type2chatgpt_contents[task_type]["system"/"user"]; user is str.format()-ed '
                  'with question, answer (=gt), pred',
        'function': 'check_ans_qa(question, pred, gt, task_type, model="gpt-3.5-turbo-0125")',
        'model': 'gpt-3.5-turbo-0125 (default of check_ans_qa/save_results and --eval_model)',
        'task_types': list(contents),
        'identical_for_all_task_types': all(v == first for v in contents.values()),
        'system': first['system'],
        'user_template': first['user'],
        'user_rendered_with_placeholders': first['user'].format(question='{question}', answer='{answer}',
                                                                pred='{pred}'),
        'messages': '[{"role": "system", "content": system}, {"role": "user", "content": user}], no temperature',
    }


def minigpt4_prompts(module) -> dict:
    """The inline f-string prompt, captured from a request where question/answer/pred are the literal placeholders."""
    judge = FakeJudge(lambda *_: "{'pred': 'yes', 'score': 5}")
    module.openai = judge.module()
    with tempfile.TemporaryDirectory() as tmp:
        prediction_set = {'v_0': {'q': '{question}', 'a': '{answer}', 'pred': '{pred}'}}
        module.annotate(prediction_set, ['v_0.json'], tmp)
    call = judge.calls[0]
    return {
        'source': f'{MINIGPT4_FILE}: annotate(), inline f-strings (question=Q, answer=A, pred=pred of the pred file)',
        'function': 'annotate(prediction_set, caption_files, output_dir)',
        'model': call['model'],
        'system': call['messages'][0]['content'],
        'user_rendered_with_placeholders': call['messages'][1]['content'],
        'messages': '[{"role": "system", ...}, {"role": "user", ...}] via openai<1.0 openai.ChatCompletion.create, '
                    'no temperature',
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--pllava', required=True)
    parser.add_argument('--minigpt4', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()

    pllava = load_pllava(args.pllava, FakeJudge(lambda *_: ''))
    data = header('magic-research/PLLaVA', args.pllava, PLLAVA_FILE, 'check_ans_qa; chatgpt_eval; save_results', (
        'tests/eval/known_answers/oracle/videoqa.py: git show HEAD:tasks/eval/videoqabench/__init__.py executed as '
        "module 'tasks.eval.videoqabench' (oracle venv: numpy, tqdm). Stubbed imports: torch, PIL.Image, decord "
        "(dataset only), 'openai' (OpenAI() -> fake client answering from the fixed replies, recording requests), "
        'tasks.eval.eval_utils (dump_json/load_json verbatim from the official file). module.Pool = in-process '
        'pool, in input order (the official Pool(7).imap_unordered order does not change these sums). '
        'save_results(result_list, tmpdir) then upload_leaderboard.json / all_results.json read back.'))
    data['judge_prompts'] = pllava_prompts(pllava)
    data['inputs'] = [{'question': q, 'video_name': v, 'answer': a, 'pred': p, 'task_type': t,
                       'judge_replies': REPLIES[q]} for q, v, a, p, t in ITEMS]
    first_replies = {q: r[:1] for q, r in REPLIES.items()}
    single = []
    for q, _, gt, pred, task in ITEMS:
        judge = FakeJudge(ScriptedReplies(first_replies))
        pllava.client = judge.module().OpenAI()
        flag, score = pllava.check_ans_qa(question=q, pred=pred, gt=gt, task_type=task)
        single.append({'question': q, 'judge_reply': REPLIES[q][0], 'check_ans_qa': {'flag': flag, 'score': score}})
    data['cases'] = single
    data['save_results'] = pllava_run(pllava, ITEMS, first_replies)
    unreachable = {**first_replies, ITEMS[1][0]: [JudgeUnreachable]}
    data['save_results_judge_unreachable'] = {
        'what': f'the judge request for {ITEMS[1][0]!r} raises (network error) instead of replying',
        **pllava_run(pllava, ITEMS[:3], unreachable)}

    minigpt4 = load_minigpt4(args.minigpt4)
    mg = header('Vision-CAIR/MiniGPT4-video', args.minigpt4, MINIGPT4_FILE, 'main() (annotate + aggregation)', (
        'tests/eval/known_answers/oracle/videoqa.py: git show HEAD:GPT_evaluation/evaluate_zeroshot.py executed as a '
        "module; module.openai = fake openai<1.0 module (ChatCompletion.create answers from the fixed replies), "
        'module.Pool = in-process pool; main() called with sys.argv = --pred_path <tmp preds.json> --output_dir '
        '<tmp> --output_json <tmp> --api_key none --num_tasks 4; numbers parsed from its printed lines.'))
    mg['judge_prompts'] = minigpt4_prompts(minigpt4)
    mg['judge_prompts']['identical_to_pllava'] = {
        'system': mg['judge_prompts']['system'] == data['judge_prompts']['system'],
        'user': mg['judge_prompts']['user_rendered_with_placeholders']
        == data['judge_prompts']['user_rendered_with_placeholders'],
    }
    mg['cases'] = minigpt4_run(minigpt4, ITEMS, REPLIES)
    never = {**REPLIES, ITEMS[0][0]: [BAD_REPLY]}
    mg['never_parsable_reply'] = {
        'what': f'the judge never returns a parsable reply for {ITEMS[0][0]!r}; the fake judge stops the run with a '
                'BaseException after 5 requests for it (the official while-loop has no other exit)',
        **minigpt4_run(minigpt4, ITEMS[:3], never, max_asks=5)}
    data['minigpt4_video'] = mg
    write_json(args.out, data)


if __name__ == '__main__':
    main()
