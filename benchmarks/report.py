"""What every benchmark report carries: the machine and date, written as JSON next to a one-line summary."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path


def machine() -> dict:
    return {'machine': f'{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}',
            'date': time.strftime('%Y-%m-%d')}


def write_report(report: dict, output: str | Path) -> dict:
    """Write ``report`` (with a ``rows`` list) to ``output`` and print everything but the rows."""
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != 'rows'}))
    return report
