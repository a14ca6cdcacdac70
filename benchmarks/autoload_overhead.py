"""Start-up cost of the plugin's hook on an unrelated ``python -c pass`` (target: ≤ 5 ms).

Reports, over N runs: the cumulative import time of ``swift_video_ext_autoload`` from ``-X importtime`` (what the
.pth line costs), and wall-clock medians of ``python -c pass`` with the hook active, with it switched off
(``SWIFT_VIDEO_EXT_AUTOLOAD=0``: the module still imports, installs nothing) and with ``-S`` (no site at all).
    python benchmarks/autoload_overhead.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time


def importtime_us(runs: int) -> list[int]:
    values = []
    for _ in range(runs):
        err = subprocess.run([sys.executable, '-X', 'importtime', '-c', 'pass'], capture_output=True,
                             text=True).stderr
        match = re.search(r'import time:\s+\d+ \|\s+(\d+) \|\s+swift_video_ext_autoload', err)
        values.append(int(match.group(1)) if match else 0)
    return values


def wall_ms(args: list[str], env: dict, runs: int) -> list[float]:
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, check=True)
        values.append((time.perf_counter() - start) * 1000)
    return values


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop('SWIFT_VIDEO_EXT_AUTOLOAD', None)
    hook_us = importtime_us(args.runs)
    result = {
        'hook_import_ms_median': statistics.median(hook_us) / 1000,
        'python_c_pass_ms_median': statistics.median(wall_ms(['-c', 'pass'], env, args.runs)),
        'python_c_pass_autoload_off_ms_median': statistics.median(
            wall_ms(['-c', 'pass'], dict(env, SWIFT_VIDEO_EXT_AUTOLOAD='0'), args.runs)),
        'python_S_c_pass_ms_median': statistics.median(wall_ms(['-S', '-c', 'pass'], env, args.runs)),
        'runs': args.runs,
    }
    result['target_met'] = result['hook_import_ms_median'] <= 5.0
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
