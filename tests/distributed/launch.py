"""Launch real ``swift sft`` runs with 1 or N processes on CPU and read what each rank did (see row_log_plugin.py)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from tests.helpers import CPU_TRAIN_ARGS, command_env, free_port, run

PLUGIN = Path(__file__).with_name('row_log_plugin.py')
DISTRIBUTED = 'ParallelMode.DISTRIBUTED'


def sft(args: list[str], output_dir: Path, *, nproc: int, per_device_batch: int, use_cpu: bool = True,
        env: dict[str, str] | None = None, check: bool = True) -> tuple[str, list[dict]]:
    """Run ``swift sft`` with ``nproc`` processes; return its log (stdout + stderr) and the row-log records.
    ``check=False`` keeps a non-zero exit (the unsynced trap run sometimes aborts at exit) for the caller to judge."""
    row_log = output_dir.parent / f'{output_dir.name}.rows.jsonl'
    row_log.unlink(missing_ok=True)
    extra = {'SVE_ROW_LOG': str(row_log), **(env or {})}
    if nproc > 1:
        extra.update({'NPROC_PER_NODE': str(nproc), 'MASTER_PORT': str(free_port())})
    command = ['swift', 'sft', *args, '--per_device_train_batch_size', str(per_device_batch),
               '--output_dir', str(output_dir), '--external_plugins', str(PLUGIN), *CPU_TRAIN_ARGS]
    if use_cpu:
        command += ['--use_cpu', 'true']
    result = run(command, env=command_env(**extra), timeout=600, check=check and nproc == 1)
    if nproc > 1 and check and result.returncode != 0:
        if not aborted_at_exit(result.stdout + result.stderr):
            log = f'{result.stdout[-3000:]}\n{result.stderr[-6000:]}'
            raise AssertionError(f'swift sft failed ({result.returncode}):\n{log}')
        # a gloo rank aborting during interpreter shutdown after training finished (docs/scale-out.md): run it
        # once more from scratch; a second failure of any kind fails the test
        print(f'swift sft: a rank aborted at exit after training finished; rerunning once ({output_dir})',
              file=sys.stderr)
        shutil.rmtree(output_dir, ignore_errors=True)
        row_log.unlink(missing_ok=True)
        extra['MASTER_PORT'] = str(free_port())
        result = run(command, env=command_env(**extra), timeout=600, check=True)
    records = [json.loads(line) for line in row_log.read_text().splitlines()] if row_log.is_file() else []
    return result.stdout + result.stderr, records


def aborted_at_exit(log: str) -> bool:
    """The known gloo exit abort: every rank finished main (ms-swift logs its end time), then one rank's C++
    runtime aborted during interpreter shutdown ('terminate called without an active exception', exit -6)."""
    return ('terminate called without an active exception' in log and 'exitcode: -6' in log
            and 'End time of running main' in log and 'last_model_checkpoint' in log)


def assert_distributed(log: str, records: list[dict], world_size: int) -> None:
    """Every rank trained under real DDP: ms-swift saw ``world_size`` and each trainer ran in DISTRIBUTED mode."""
    assert f'world_size: {world_size}' in log, 'ms-swift did not log the expected world size'
    modes = {r['rank']: (r['parallel_mode'], r['world_size']) for r in records if 'parallel_mode' in r}
    want = {rank: (DISTRIBUTED, world_size) for rank in range(world_size)}
    assert modes == want, f'trainers were not in DDP (unsynced copies?): {modes}'


def rows_by_rank(records: list[dict]) -> dict[int, list[str]]:
    """Rows each rank encoded once training began (ms-swift also encodes a few rows beforehand, for its checks)."""
    out: dict[int, list[str]] = {}
    for r in records:
        if 'parallel_mode' in r:
            out[r['rank']] = []
        elif 'row' in r and r['rank'] in out:
            out[r['rank']].append(r['row'])
    return out
