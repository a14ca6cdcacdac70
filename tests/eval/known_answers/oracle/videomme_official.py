"""Known answers: Video-MME's official scorer on fixed responses.

Usage: python videomme_official.py <Video-MME mirror> <output json>

Runs MME-Benchmarks/Video-MME ``evaluation/eval_your_results.py`` as it was before its removal (commit 49a2e67^),
executed from the mirror: ``extract_characters_regex`` on fixed responses, and ``eval_your_results`` on a results
file in its template layout (``output_test_template.json``) whose printed "Overall" lines are captured.
"""
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import git_show  # noqa: E402

COMMIT = '49a2e67a663dac16ab5f1fd164d1c72b880ea03f^'
RESPONSES = ['A', ' B. Gray.', 'The best answer is C', 'The best answer is: (D)', '(a)', 'b', 'Best option: A',
             'The best option is B', 'Answer: C', 'I think it is D because', '', 'none of these options is right, '
             'the video does not show it clearly at all really', 'C.', 'The answer D', 'A and B']
QUESTIONS = [  # (duration, answer, response)
    ('short', 'A', 'A'), ('short', 'B', 'The best answer is B.'), ('short', 'C', 'D'), ('short', 'D', ''),
    ('medium', 'A', 'b'), ('medium', 'B', 'B'), ('medium', 'C', 'The correct answer is C'),
    ('long', 'D', 'none of these options is right, the video does not show it clearly at all really'),
    ('long', 'A', 'A.'), ('long', 'B', 'C'),
]


def main(repo, output):
    source = git_show(repo, 'evaluation/eval_your_results.py', COMMIT)
    ns = {'__name__': 'eval_your_results'}
    exec(compile(source, 'evaluation/eval_your_results.py', 'exec'), ns)
    extract = [{'response': r, 'output': ns['extract_characters_regex'](r)} for r in RESPONSES]
    videos, questions = [], []
    for index, (duration, answer, response) in enumerate(QUESTIONS):
        qid = f'{index:03d}-1'
        videos.append({'video_id': f'{index:03d}', 'duration_category': duration, 'video_category': 'Knowledge',
                       'video_subcategory': 'Astronomy', 'missing': False, 'questions': [
                           {'question_id': qid, 'task_type': 'Object Recognition', 'answer': answer,
                            'response': response}]})
        questions.append({'question_id': qid, 'duration': duration, 'answer': answer, 'response': response})
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump(videos, f)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ns['eval_your_results'](f.name, video_types=['short', 'medium', 'long'], skip_missing=True)
    overall = [float(v) for v in re.findall(r'Overall: +([\d.]+)%', printed.getvalue())]
    per_duration = dict(zip(['short', 'medium', 'long'], overall[:3], strict=True))
    commit = subprocess.run(['git', '-C', repo, 'rev-parse', COMMIT], capture_output=True, text=True).stdout.strip()
    with open(output, 'w', encoding='utf-8') as f:
        json.dump({'official_repo': 'MME-Benchmarks/Video-MME', 'commit': commit,
                   'file': 'evaluation/eval_your_results.py',
                   'function': 'extract_characters_regex; eval_your_results (printed Overall per duration, then all)',
                   'how_run': 'python tests/eval/known_answers/oracle/videomme_official.py <mirror> <this file>',
                   'extract': extract,
                   'aggregation': {'questions': questions,
                                   'overall_per_duration': per_duration,
                                   'overall': overall[3], 'printed': printed.getvalue().splitlines()}},
                  f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
