"""`make demo` runs the whole loop (tiny PLLaVA: sft → infer → export → infer merged → contact sheet)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'swift_video_ext.demo', '--output', str(tmp_path / 'demo'),
                             '--steps', '10'], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'Training loss' in result.stdout
    assert (tmp_path / 'demo' / 'contact_sheet.png').is_file()
    assert list((tmp_path / 'demo' / 'runs').glob('v*/checkpoint-10-merged/model.safetensors'))
