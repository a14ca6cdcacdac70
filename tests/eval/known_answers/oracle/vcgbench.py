"""Known answers for VCGBench (Video-ChatGPT benchmark: correctness, detail, context, temporal, consistency): PLLaVA
``tasks/eval/vcgbench/__init__.py`` and MiniGPT4-Video ``GPT_evaluation/evaluate_benchmark_{1..5}_*.py``, run on fixed
judge replies from a fake OpenAI client (no network). Usage (oracle venv):
    python tests/eval/known_answers/oracle/vcgbench.py --pllava <PLLaVA mirror> --minigpt4 <MiniGPT4-video mirror> \
        --out tests/eval/known_answers/vcgbench_aggregation.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import (  # noqa: E402
    FakeJudge,
    ScriptedReplies,
    SequentialPool,
    header,
    load_official,
    pllava_eval_utils_stub,
    run_script_main,
    stub_heavy_imports,
    write_json,
)

PLLAVA_FILE = 'tasks/eval/vcgbench/__init__.py'
MINIGPT4_SCRIPTS = {  # dimension (PLLaVA's sub task name) -> (script, which pred file it reads)
    'correctness': ('GPT_evaluation/evaluate_benchmark_1_correctness.py', 'generic'),
    'detailed_orientation': ('GPT_evaluation/evaluate_benchmark_2_detailed_orientation.py', 'generic'),
    'context': ('GPT_evaluation/evaluate_benchmark_3_context.py', 'generic'),
    'temporal': ('GPT_evaluation/evaluate_benchmark_4_temporal.py', 'temporal'),
    'consistency': ('GPT_evaluation/evaluate_benchmark_5_consistency.py', 'consistency'),
}
# Words of each system prompt that tell the fake judge which dimension is asked (both repos use the same prompts).
DIMENSION_MARKERS = {
    'factual accuracy': 'correctness',
    'detail orientation': 'detailed_orientation',
    'contextual understanding': 'context',
    'temporal understanding': 'temporal',
    'consistency of generative outputs': 'consistency',
}
BAD = 'The prediction is mostly correct, I would give it a 4.'

# '<dimension>|<question>' -> judge replies in request order (MiniGPT4-Video re-asks until a reply parses).
REPLIES: dict[str, list] = {
    'correctness|G1 describe the video': ["{'score': 5}"],
    'detailed_orientation|G1 describe the video': ["{'score': 4}"],
    'context|G1 describe the video': ["{'score': 5}"],
    'correctness|G2 what happens first?': ["{'score': 4.8}"],
    'detailed_orientation|G2 what happens first?': ["{'score': '3'}"],
    'context|G2 what happens first?': ["{'score': 2}"],
    'correctness|G3 who is in the room?': [BAD, "{'score': 3}"],
    'detailed_orientation|G3 who is in the room?': ["{'score': 3}"],
    'context|G3 who is in the room?': ['score: 4', "{'score': 4}"],
    'correctness|G4 what is on the wall?': ["{'score': 0}"],  # empty prediction: PLLaVA does not ask the judge
    'detailed_orientation|G4 what is on the wall?': ["{'score': 0}"],
    'context|G4 what is on the wall?': ["{'score': 0}"],
    'correctness|G5 why does she laugh?': ["{'score': 1}"],
    'detailed_orientation|G5 why does she laugh?': ["{'score': 2.5}"],
    'context|G5 why does she laugh?': ["{'score': 3, 'reason': 'partly'}"],
    'temporal|T1 what does he do after sitting?': ["{'score': 4}"],
    'temporal|T2 what happens at the end?': ["{'score': 3.6}"],
    'temporal|T3 what comes before the jump?': [BAD, "{'score': 2}"],
    'temporal|T4 what is the order of events?': ["{'score': '2'}"],
    'consistency|C1a what is the man wearing?': ["{'score': 5}"],
    'consistency|C2a where are they?': ["{'score': 1}"],
    'consistency|C3a what is the dog doing?': ["{'score': 3}"],  # one of the two predictions is empty
}
GENERIC = [  # (question, video, answer, prediction)
    ('G1 describe the video', 'v_g1', 'A man cooks pasta.', 'A man is cooking pasta in a kitchen.'),
    ('G2 what happens first?', 'v_g2', 'He opens the door.', 'He opens a door.'),
    ('G3 who is in the room?', 'v_g1', 'Two women.', 'Two people.'),
    ('G4 what is on the wall?', 'v_g4', 'A clock.', ''),
    ('G5 why does she laugh?', 'v_g5', 'The dog jumps.', 'Because of a joke.'),
]
TEMPORAL = [
    ('T1 what does he do after sitting?', 'v_t1', 'He reads.', 'He reads a book.'),
    ('T2 what happens at the end?', 'v_t2', 'The car stops.', 'The car stops.'),
    ('T3 what comes before the jump?', 'v_t3', 'A run.', 'He walks.'),
    ('T4 what is the order of events?', 'v_t4', 'Sit, stand, leave.', 'Stand, sit.'),
]
CONSISTENCY = [  # (Q1, Q2, video, answer, prediction to Q1, prediction to Q2)
    ('C1a what is the man wearing?', 'C1b what clothes does the man have on?', 'v_c1', 'A red shirt.',
     'A red shirt.', 'He wears a red shirt.'),
    ('C2a where are they?', 'C2b what place is shown?', 'v_c2', 'A beach.', 'A beach.', 'A forest.'),
    ('C3a what is the dog doing?', 'C3b what activity is the dog doing?', 'v_c3', 'Running.', 'Running.', ''),
]


def marker(messages: list[dict]) -> str:
    """'<dimension>|<first question line>' of a judge request."""
    system, user = messages[0]['content'], messages[-1]['content']
    dimension = next(d for words, d in DIMENSION_MARKERS.items() if words in system)
    question = re.search(r'Question(?: 1)?: (.*)', user).group(1)
    return f'{dimension}|{question}'


def pllava_result_list() -> list[dict]:
    rows = [{'pred': p, 'gt': a, 'question': q, 'task_type': 'generic_qa', 'video_path': v} for q, v, a, p in GENERIC]
    rows += [{'pred': p, 'gt': a, 'question': q, 'task_type': 'temporal_qa', 'video_path': v}
             for q, v, a, p in TEMPORAL]
    rows += [{'pred': p1, 'pred1': p2, 'gt': a, 'question': q1, 'question1': q2, 'task_type': 'consistency_qa',
              'video': v} for q1, q2, v, a, p1, p2 in CONSISTENCY]
    return rows


def load_pllava(mirror: str):
    stub_heavy_imports([])
    pllava_eval_utils_stub(mirror)
    FakeJudge(lambda *_: '').install()  # the module builds client = OpenAI(...) at import; swapped per run
    module = load_official(mirror, PLLAVA_FILE, 'tasks.eval.vcgbench')
    module.Pool = SequentialPool
    return module


def pllava_run(module, result_list: list[dict], replies: dict[str, list]) -> dict:
    judge = FakeJudge(ScriptedReplies(replies, marker=marker))
    module.client = judge.module().OpenAI()
    with tempfile.TemporaryDirectory() as tmp:
        module.save_results(json.loads(json.dumps(result_list)), tmp)
        with open(os.path.join(tmp, 'upload_leaderboard-gpt-3.5-turbo-0125.json')) as f:
            leaderboard = json.load(f)
        with open(os.path.join(tmp, 'final_results-gpt-3.5-turbo-0125.json')) as f:
            final = json.load(f)
    return {'upload_leaderboard-gpt-3.5-turbo-0125.json': leaderboard, 'acc_dict': final['acc_dict'],
            'per_item_scores': [{'question': r['question'], 'scores': r['scores']} for r in final['result_list']],
            'judge_requests': len(judge.calls), 'judge_models': sorted({c['model'] for c in judge.calls})}


def pllava_prompts(module) -> dict:
    contents = module.sub_task_type2chatgpt_contents
    out = {}
    for name, prompt in contents.items():
        fields = {k: '{' + k + '}' for k in ('question', 'answer', 'pred', 'question1', 'pred1')}
        out[name] = {'system': prompt['system'], 'user_template': prompt['user'],
                     'user_rendered_with_placeholders': prompt['user'].format(**fields)}
    return {'source': f'{PLLAVA_FILE}: sub_task_type2chatgpt_contents; check_ans() formats user with question, '
                      'answer=gt, pred (consistency also question1, pred1)',
            'model': 'gpt-3.5-turbo-0125 (default of check_ans/chatgpt_eval/save_results and --eval_model)',
            'prompts': out}


def minigpt4_prompt(module, dimension: str) -> dict:
    judge = FakeJudge(lambda *_: "{'score': 5}")
    module.openai = judge.module()
    if dimension == 'consistency':
        qa = {'q1': '{question1}', 'q2': '{question2}', 'a': '{answer}', 'pred1': '{pred1}', 'pred2': '{pred2}'}
    else:
        qa = {'q': '{question}', 'a': '{answer}', 'pred': '{pred}'}
    with tempfile.TemporaryDirectory() as tmp:
        module.annotate({'v_0': qa}, ['v_0.json'], tmp)
    call = judge.calls[0]
    return {'model': call['model'], 'system': call['messages'][0]['content'],
            'user_rendered_with_placeholders': call['messages'][1]['content']}


def compare_prompts(pllava_prompt: dict, minigpt4_prompt: dict, dimension: str) -> dict:
    """Equal system text? And the differing pieces of the user text, with PLLaVA's template rendered under
    MiniGPT4-Video's placeholder names (consistency: PLLaVA question/question1/pred/pred1 = question1/question2/pred1/
    pred2)."""
    if dimension == 'consistency':
        fields = {'question': '{question1}', 'question1': '{question2}', 'pred': '{pred1}', 'pred1': '{pred2}'}
    else:
        fields = {'question': '{question}', 'pred': '{pred}'}
    pllava_user = pllava_prompt['user_template'].format(answer='{answer}', **fields)
    mg_user = minigpt4_prompt['user_rendered_with_placeholders']
    ops = difflib.SequenceMatcher(None, pllava_user, mg_user, autojunk=False).get_opcodes()
    return {'system_identical': pllava_prompt['system'] == minigpt4_prompt['system'],
            'user_identical': pllava_user == mg_user,
            'user_differences': [{'pllava': pllava_user[i1:i2], 'minigpt4_video': mg_user[j1:j2]}
                                 for tag, i1, i2, j1, j2 in ops if tag != 'equal']}


def minigpt4_pred_file(kind: str) -> list[dict]:
    """The pred json that evaluation/eval_minigpt4_video.py writes for each VCGBench split."""
    if kind == 'consistency':
        return [{'video_name': v, 'Q1': q1, 'Q2': q2, 'A': a, 'pred1': p1, 'pred2': p2}
                for q1, q2, v, a, p1, p2 in CONSISTENCY]
    rows = GENERIC if kind == 'generic' else TEMPORAL
    return [{'video_name': v, 'Q': q, 'A': a, 'pred': p} for q, v, a, p in rows]


def minigpt4_run(module, preds: list[dict], replies: dict[str, list]) -> dict:
    scripted = ScriptedReplies(replies, marker=marker)
    judge = FakeJudge(scripted)
    module.openai = judge.module()
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = os.path.join(tmp, 'preds.json')
        with open(pred_path, 'w') as f:
            json.dump(preds, f)
        out_dir = os.path.join(tmp, 'judged')
        outcome = run_script_main(module, ['--pred_path', pred_path, '--output_dir', out_dir, '--output_json',
                                           os.path.join(tmp, 'combined.json'), '--api_key', 'none', '--num_tasks', '2'])
        stored = {}
        for name in sorted(os.listdir(out_dir)) if os.path.isdir(out_dir) else []:
            with open(os.path.join(out_dir, name)) as f:
                stored[name] = json.load(f)
    lines = [line for line in outcome['stdout'] if not line.startswith(('completed_files', 'incomplete'))]
    outcome['stdout'] = lines
    average = [line for line in lines if line.startswith('Average score')]
    if average:
        outcome['average_score'] = json.loads(average[0].rsplit(': ', 1)[1].strip())
    outcome['judge_requests_per_item'] = dict(scripted.asks)
    outcome['stored_judgements'] = stored
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--pllava', required=True)
    parser.add_argument('--minigpt4', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()

    pllava = load_pllava(args.pllava)
    data = header('magic-research/PLLaVA', args.pllava, PLLAVA_FILE, 'check_ans; chatgpt_eval; save_results', (
        'tests/eval/known_answers/oracle/vcgbench.py: git show HEAD:tasks/eval/vcgbench/__init__.py executed as '
        "module 'tasks.eval.vcgbench' (oracle venv: tqdm). Stubs: 'openai' (fake client, replies by "
        "'<dimension>|<question>'), tasks.eval.eval_utils (dump_json/load_json verbatim from the official file). "
        'module.Pool = in-process pool in input order (official: Pool(7).imap_unordered, completion order). '
        'save_results(result_list, tmpdir) with the default model, files read back.'))
    data['judge_prompts'] = pllava_prompts(pllava)
    result_list = pllava_result_list()
    data['inputs'] = {'result_list': result_list, 'judge_replies': REPLIES}
    data['cases'] = []
    for row in result_list:
        for dimension in {'generic_qa': ('context', 'detailed_orientation', 'correctness'),
                          'temporal_qa': ('temporal',), 'consistency_qa': ('consistency',)}[row['task_type']]:
            judge = FakeJudge(ScriptedReplies({k: v[:1] for k, v in REPLIES.items()}, marker=marker))
            pllava.client = judge.module().OpenAI()
            extra = {'question1': row['question1'], 'pred1': row['pred1']} if dimension == 'consistency' else {}
            flag, score = pllava.check_ans(gt=row['gt'], pred=row['pred'], question=row['question'],
                                           sub_task_type=dimension, **extra)
            data['cases'].append({'question': row['question'], 'dimension': dimension, 'pred': row['pred'],
                                  'judge_reply': REPLIES[f"{dimension}|{row['question']}"][0],
                                  'check_ans': {'flag': flag, 'score': score}})
    first = {k: v[:1] for k, v in REPLIES.items()}
    data['save_results'] = pllava_run(pllava, result_list, first)
    data['save_results_reversed_order'] = {
        'what': 'same rows in reverse order: Avg_Acc starts from the stale `correct` of the last row processed',
        **pllava_run(pllava, result_list[::-1], first)}
    data['consistency_inference_note'] = (
        'read, not run: tasks/eval/vcgbench/pllava_eval_vcgbench.py run() answers Q1 (pred), swaps '
        "example['question'] and example['question1'], answers Q2 (pred1), then stores question=example['question'] "
        "(now Q2) and question1=Q1; the judge therefore sees 'Question 1: <Q2>' with 'Predicted Answer to Question 1: "
        "<answer to Q1>'.")

    mg_header = header('Vision-CAIR/MiniGPT4-video', args.minigpt4, 'GPT_evaluation/evaluate_benchmark_{1..5}_*.py',
                       'main() of each script (annotate + average)', (
                           'tests/eval/known_answers/oracle/vcgbench.py: each script via git show HEAD:<path>, '
                           'executed as a module; module.openai = fake openai<1.0 module, module.Pool = in-process '
                           'pool; main() with sys.argv = --pred_path <tmp pred json> --output_dir <tmp> '
                           '--output_json <tmp> --api_key none --num_tasks 2; the printed average parsed.'))
    dims = {}
    for dimension, (script, kind) in MINIGPT4_SCRIPTS.items():
        sys.modules['openai'] = FakeJudge(lambda *_: '').module()
        module = load_official(args.minigpt4, script, f'minigpt4_{dimension}')
        module.Pool = SequentialPool
        dims[dimension] = {'script': script, 'pred_file': kind, 'judge_prompt': minigpt4_prompt(module, dimension),
                           'pred_json': minigpt4_pred_file(kind),
                           **minigpt4_run(module, minigpt4_pred_file(kind), REPLIES)}
        dims[dimension]['judge_prompt']['vs_pllava'] = compare_prompts(
            data['judge_prompts']['prompts'][dimension], dims[dimension]['judge_prompt'], dimension)
        if dimension == 'correctness':
            for name, reply in (('score_not_an_int', "{'score': 'high'}"), ('no_score_key', "{'rating': 3}")):
                dims[f'correctness_{name}'] = {
                    'what': f"correctness where G2's judge reply parses but is unusable: {reply}",
                    **minigpt4_run(module, minigpt4_pred_file(kind),
                                   {**REPLIES, 'correctness|G2 what happens first?': [reply]})}
    data['minigpt4_video'] = {**mg_header, 'cases': dims}
    write_json(args.out, data)


if __name__ == '__main__':
    main()
