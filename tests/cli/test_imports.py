"""Start-up cost: the video core, `swift-video --help` and the light subcommands import no torch/transformers/swift."""

import json
import subprocess
import sys

import pytest

HEAVY = ('torch', 'transformers', 'swift', 'swift_video_ext.models')
PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def heavy_modules_after(body: str) -> list[str]:
    code = PROBE.format(body=body, heavy=HEAVY)
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _main(argv: list[str]) -> str:
    return (f'from swift_video_ext.cli.main import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n'
            'sys.stdout.flush()')


def test_video_core_imports_no_model_code():
    assert heavy_modules_after('import swift_video_ext.video\nimport swift_video_ext.video.settings') == []


def test_help_imports_no_model_code():
    assert heavy_modules_after(_main(['--help'])) == []


@pytest.mark.parametrize('argv', [['sample', '{clip}', '--json'], ['eval', 'action', '--results', '{results}']])
def test_light_subcommands_import_no_model_code(argv, gop_clip, tmp_path):
    results = tmp_path / 'r.jsonl'
    results.write_text(json.dumps({'response': 'a', 'labels': 'a'}) + '\n')
    argv = [a.format(clip=gop_clip, results=results) for a in argv]
    assert heavy_modules_after(_main(argv)) == []
