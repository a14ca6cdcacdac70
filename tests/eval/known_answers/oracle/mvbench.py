"""Known answers for MVBench: PLLaVA ``check_ans`` / ``save_results`` / ``qa_template`` and lmms-eval's mvbench scoring.

Usage (oracle venv: numpy, pyyaml, loguru, tqdm; no torch):
    python tests/eval/known_answers/oracle/mvbench.py --pllava <PLLaVA mirror> --lmms <lmms-eval mirror> \
        --out tests/eval/known_answers/mvbench_pllava.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import header, load_official, pllava_eval_utils_stub, stub_heavy_imports, write_json  # noqa: E402

PLLAVA_FILE = 'tasks/eval/mvbench/__init__.py'
LMMS_FILE = 'lmms_eval/tasks/mvbench/utils.py'

GT_A = '(A) a man is cooking'
GT_C_PERIOD = '(C) three.'
GT_E = '(E) none of the above'
GT_B = '(B) yes'

# (label, pred, gt). ``pred`` is what check_ans receives: pllava_eval_mvbench.py makes it '(' + the generation that
# follows the prefilled 'Best option:(' (return_prompt='('), so an empty generation arrives as '('.
CHECK_ANS_CASES: list[tuple[str, str, str]] = [
    ('letter and text', '(A) a man is cooking', GT_A),
    ('letter only', '(A)', GT_A),
    ('lower-case letter', '(a)', GT_A),
    ('lower-case letter, upper-case text', '(a) A man is cooking', GT_A),
    ('no opening parenthesis', 'A) a man is cooking', GT_A),
    ('bare letter', 'A', GT_A),
    ('bare lower-case letter', 'a', GT_A),
    ('letter with period', 'A.', GT_A),
    ('(A). with period', '(A).', GT_A),
    ('(a). lower with period', '(a).', GT_A),
    ('(A), with comma', '(A),', GT_A),
    ('unclosed (A', '(A', GT_A),
    ('double opening ((A)', '((A)', GT_A),
    ('letter then newline explanation', '(A)\nbecause the man cooks', GT_A),
    ('letter glued to text', '(A)a man', GT_A),
    ('two letters (A)(B)', '(A)(B)', GT_A),
    ('leading tab', '\t(A)', GT_A),
    ('trailing tab', '(A)\t', GT_A),
    ('wrong letter with text', '(B) a woman is dancing', GT_A),
    ('wrong letter only', '(B)', GT_A),
    ('wrong bare letter', 'B', GT_A),
    ('right text, wrong letter', '(D) a man is cooking', GT_A),
    ('unclosed wrong letter (C', '(C', GT_A),
    ('empty pred', '', GT_A),
    ('empty generation (pred is the return prompt)', '(', GT_A),
    ('empty parentheses', '()', GT_A),
    ('leading space', ' (A)', GT_A),
    ('sentence without letter first', 'I think the answer is (A)', GT_A),
    ('sentence starting "The"', 'The answer is (A)', GT_A),
    ('"Answer: (A)"', 'Answer: (A)', GT_A),
    ('two-letter option (Ab)', '(Ab) something', GT_A),
    ('two-letter option (AB)', '(AB)', GT_A),
    ('square brackets', '[A]', GT_A),
    ('"A:"', 'A:', GT_A),
    ('option text only, starts with article "a"', 'a man is cooking', GT_A),
    ('option text only, no article', 'man is cooking', GT_A),
    ('single word', 'cooking', GT_A),
    ('letter E (5-option) when gt A', '(E)', GT_A),
    ('letter F', '(F)', GT_A),
    ('letter H (outside a-g)', '(H)', GT_A),
    ('gt with trailing period: letter and text', '(C) three', GT_C_PERIOD),
    ('gt with trailing period: lower letter', '(c)', GT_C_PERIOD),
    ('gt with trailing period: pred with period', '(C) three.', GT_C_PERIOD),
    ('gt with trailing period: bare C', 'C', GT_C_PERIOD),
    ('gt with trailing period: c.', 'c.', GT_C_PERIOD),
    ('gt with trailing period: wrong letter', '(B) three', GT_C_PERIOD),
    ('5 options: (E) text', '(E) none of the above', GT_E),
    ('5 options: (E)', '(E)', GT_E),
    ('5 options: e', 'e', GT_E),
    ('5 options: E) text', 'E) none', GT_E),
    ('5 options: (D)', '(D)', GT_E),
    ('5 options: option text only', 'none of the above', GT_E),
    ('yes/no: (B) yes', '(B) yes', GT_B),
    ('yes/no: (b)', '(b)', GT_B),
    ('yes/no: b', 'b', GT_B),
    ('yes/no: (B) no (letter right, text wrong)', '(B) no', GT_B),
    ('yes/no: (A) no', '(A) no', GT_B),
    ('yes/no: text only "yes"', 'yes', GT_B),
    ('yes/no: "bb"', 'bb', GT_B),
    ('lower-case gt', '(A)', '(a) a man is cooking'),
    ('gt with double space', '(A)', '(A)  a man'),
    ('gt without content', '(A)', '(A)'),
    ('gt with empty content', '(A)', '(A) '),
    ('gt for an answer missing from candidates ("(@) ...")', '(A)', '(@) a dog'),
]

# MVBench json rows (question / candidates / answer) run through the official qa_template.
QA_TEMPLATE_CASES = [
    {'question': 'What is the man doing?', 'candidates': ['cooking', 'running', 'sleeping'], 'answer': 'cooking'},
    {'question': 'How many objects move?', 'candidates': ['1', '2', '3', '4', '5'], 'answer': '5'},
    {'question': 'Is it raining?', 'candidates': ['no', 'yes'], 'answer': 'maybe'},  # answer not among candidates
]

# Rows of save_results' result_list: (task_type as MVBenchDataset gives it, lmms-eval sub task, question row, the
# model's generation after 'Best option:('). Unreadable videos get task_type 'error_reading_video' in MVBenchDataset.
_Q = {'question': 'What happened?', 'candidates': ['sat down', 'stood up', 'left the room'], 'answer': 'stood up'}
RESULT_ROWS = [
    ('Action Sequence', 'action_sequence', _Q, 'B) stood up'),
    ('Action Sequence', 'action_sequence', _Q, 'B)'),
    ('Action Sequence', 'action_sequence', _Q, 'b) Stood up.'),
    ('Action Sequence', 'action_sequence', _Q, 'A) sat down'),
    ('Action Sequence', 'action_sequence', _Q, ''),
    ('Object Shuffle', 'object_shuffle', _Q, 'B) stood up'),
    ('Object Shuffle', 'object_shuffle', _Q, 'B'),
    ('Object Shuffle', 'object_shuffle', _Q, ' I think it is B'),
    ('Object Shuffle', 'object_shuffle', _Q, 'C) left the room'),
    ('error_reading_video', 'action_sequence', _Q, 'B) stood up'),
    ('error_reading_video', 'object_shuffle', _Q, ''),
    ('error_reading_video', 'object_shuffle', _Q, 'A) sat down'),
]


def load_pllava(mirror: str):
    """PLLaVA's mvbench package with ``tasks.eval.eval_utils`` reduced to its two json helpers (run verbatim)."""
    pllava_eval_utils_stub(mirror)
    return load_official(mirror, PLLAVA_FILE, 'tasks.eval.mvbench')


def load_lmms(mirror: str):
    stub_heavy_imports(['PIL'])
    return load_official(mirror, LMMS_FILE, 'lmms_eval.tasks.mvbench.utils',
                         extra_files=['lmms_eval/tasks/mvbench/_default_template_yaml'])


def call(func, *args, **kwargs) -> dict:
    """Result of an official call, or the exception it raised (type and message) - both are known answers."""
    try:
        return {'output': func(*args, **kwargs)}
    except Exception as exc:  # noqa: BLE001 - an exception is a recorded outcome
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return {'raises': type(exc).__name__, 'message': str(exc), 'line': frame.line}


def check_ans_cases(pllava, lmms) -> list[dict]:
    cases = []
    for label, pred, gt in CHECK_ANS_CASES:
        case = {'label': label, 'pred': pred, 'gt': gt, 'check_ans': call(pllava.check_ans, pred=pred, gt=gt)}
        gt_letter = gt[1] if gt[1].isalpha() else None  # what lmms-eval's process_results derives from candidates
        case['lmms_eval_mcq_acc'] = {'answer_letter': gt_letter, **call(lmms.mcq_acc, gt_letter, pred)}
        cases.append(case)
    return cases


def save_results_case(pllava) -> dict:
    result_list = []
    for task_type, _, row, generation in RESULT_ROWS:
        question, gt = pllava.MVBenchDataset.qa_template(None, row)
        result_list.append({'pred': '(' + generation, 'gt': gt, 'task_type': task_type,
                            'video_path': 'v.mp4', 'question': question})
    with tempfile.TemporaryDirectory() as tmp:
        pllava.save_results(json.loads(json.dumps(result_list)), tmp)
        with open(os.path.join(tmp, 'upload_leaderboard.json')) as f:
            leaderboard = json.load(f)
        with open(os.path.join(tmp, 'all_results.json')) as f:
            acc_dict = json.load(f)['acc_dict']
    return {'result_list': result_list, 'upload_leaderboard.json': leaderboard, 'acc_dict': acc_dict}


def lmms_aggregation_case(lmms) -> dict:
    """lmms-eval per sub task: process_results on each raw generation, then mvbench_aggregate_results."""
    per_task: dict[str, list] = OrderedDict()
    rows = []
    for _, sub_task, row, generation in RESULT_ROWS:
        doc = {**row, 'video': 'v.mp4'}
        processed = lmms.mvbench_process_results(doc, [generation])['mvbench_accuracy']
        per_task.setdefault(sub_task, []).append(processed)
        rows.append({'sub_task': sub_task, 'doc': doc, 'response': generation, 'process_results': processed})
    scores = {task: lmms.mvbench_aggregate_results(results) for task, results in per_task.items()}
    return {'rows': rows, 'mvbench_accuracy_per_sub_task': scores,
            'group_mvbench': 'no value: lmms_eval/tasks/mvbench/mvbench.yaml has no aggregate_metric_list, so '
                             'evaluator_utils.consolidate_group_results prints no group score'}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--pllava', required=True, help='PLLaVA git mirror (fetch tool output)')
    parser.add_argument('--lmms', required=True, help='lmms-eval git mirror')
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    pllava, lmms = load_pllava(args.pllava), load_lmms(args.lmms)
    how_run = ('tests/eval/known_answers/oracle/mvbench.py: git show HEAD:tasks/eval/mvbench/__init__.py, executed as '
               "module 'tasks.eval.mvbench' in a venv with numpy/pyyaml/loguru/tqdm; its import "
               "'tasks.eval.eval_utils' (torch, decord, cv2, moviepy) is a stub holding dump_json/load_json executed "
               'verbatim from tasks/eval/eval_utils.py (ast-selected defs) and EvalDataset=object. qa_template called '
               'unbound (self=None). save_results writes to a temp dir; upload_leaderboard.json and acc_dict read.')
    data = header('magic-research/PLLaVA', args.pllava, PLLAVA_FILE, 'check_ans(pred, gt); save_results; '
                  'MVBenchDataset.qa_template', how_run)
    data['pred_construction'] = ("tasks/eval/mvbench/pllava_eval_mvbench.py: prompt ends with the assistant prefix "
                                 "'Best option:(' (answer_prompt), pred = '(' + text after it (return_prompt='('); "
                                 "post_query_prompt '\\nOnly give the best option.'")
    data['cases'] = check_ans_cases(pllava, lmms)
    data['qa_template'] = [{'row': row, 'output': list(pllava.MVBenchDataset.qa_template(None, row))}
                           for row in QA_TEMPLATE_CASES]
    data['save_results'] = save_results_case(pllava)
    data['lmms_eval'] = {
        **header('EvolvingLMMs-Lab/lmms-eval', args.lmms, LMMS_FILE,
                 'mcq_acc(answer, pred); mvbench_process_results(doc, results); mvbench_aggregate_results(results)',
                 'tests/eval/known_answers/oracle/mvbench.py: utils.py executed from a materialized copy (it reads '
                 "_default_template_yaml next to itself); 'PIL' stubbed (only doc_to_visual uses it). cases[*]."
                 'lmms_eval_mcq_acc = mcq_acc(gt letter, same pred string as check_ans). aggregation: each raw '
                 "generation (no '(' prefix: lmms-eval prompts do not prefill an answer) through process_results, "
                 'grouped by the real sub task (error_reading_video rows go back to their sub task).'),
        'aggregation': lmms_aggregation_case(lmms),
    }
    write_json(args.out, data)


if __name__ == '__main__':
    main()
