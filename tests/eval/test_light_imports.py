"""`swift-video eval prepare` and the scorers import no torch, transformers or ms-swift (quick on a laptop)."""

from __future__ import annotations

from swift_video_ext.eval.prepare import prepare
from tests.cli.test_imports import _main, heavy_modules_after
from tests.eval.mini_benchmarks import PREPARE_OPTIONS, fake_results, write_mvbench


def test_prepare_and_score_import_no_model_code(tmp_path):
    data = write_mvbench(tmp_path / 'mvbench')
    rows = tmp_path / 'rows.jsonl'
    tasks = PREPARE_OPTIONS['mvbench']['tasks']
    assert heavy_modules_after(_main(['eval', 'prepare', 'mvbench', '--data', str(data), '--model-type', 'pllava',
                                      '-o', str(rows), '--tasks', *tasks])) == []
    results = fake_results(rows, {'(A) red': 'Best option:(A) red'}, tmp_path / 'results.jsonl')
    assert heavy_modules_after(_main(['eval', 'mvbench', '--results', str(results)])) == []
    prepare('mvbench', data, 'pllava', rows, tasks=tasks)  # the same rows in-process (the test's own check)
