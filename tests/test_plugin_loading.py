"""The start-up hook: cheap in unrelated interpreters, registers with ms-swift on import, can be switched off."""

import subprocess
import sys
import zipfile

import pytest

from tests.helpers import CPU_TRAIN_ARGS, command_env, run, write_jsonl

PROBE = ("import sys; import {module}; from swift.model import MODEL_MAPPING; from swift.template import "
         "TEMPLATE_MAPPING; from swift.dataset import DATASET_MAPPING; print('pllava' in MODEL_MAPPING, "
         "'pllava_chatml' in TEMPLATE_MAPPING, 'videoinstruct100k' in DATASET_MAPPING)")


def python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', code], env=command_env(**env), capture_output=True, text=True,
                          timeout=300)


def test_unrelated_interpreter_only_gets_the_watcher():
    result = python("import sys; print('swift' in sys.modules, 'swift_video_ext' in sys.modules, "
                    "[type(f).__name__ for f in sys.meta_path][0])")
    assert result.stdout.split() == ['False', 'False', 'ImportHooks'], result.stderr


@pytest.mark.parametrize('module', ['swift.model', 'swift.template', 'swift.pipelines'])
def test_importing_ms_swift_registers_our_types(module):
    result = python(PROBE.format(module=module))
    assert result.stdout.split() == ['True', 'True', 'True'], result.stderr[-3000:]


def test_switch_off_with_env():
    result = python(PROBE.format(module='swift.model'), SWIFT_VIDEO_EXT_AUTOLOAD='0')
    assert result.stdout.split() == ['False', 'False', 'False'], result.stderr[-3000:]


def test_a_failing_registration_is_one_warning_not_a_crash():
    code = ("import swift_video_ext_autoload as hook; hook.PLUGIN_MODULE = 'no_such_module_for_test'; "
            "import swift.model; print('alive')")
    result = python(code)
    assert result.returncode == 0 and result.stdout.strip() == 'alive'
    assert result.stderr.count('swift-video-ext: could not register') == 1


def test_shim_registers_when_autoload_is_off():
    shim = run(['swift-video', 'plugin-path']).stdout.strip()
    code = (f"from swift.utils import import_external_file; import_external_file({shim!r}); "
            "from swift.model import MODEL_MAPPING; print('pllava' in MODEL_MAPPING)")
    result = python(code, SWIFT_VIDEO_EXT_AUTOLOAD='0')
    assert result.stdout.strip() == 'True', result.stderr[-3000:]


@pytest.mark.slow
def test_plain_swift_sft_needs_no_flag_and_stops_working_when_disabled(tiny_pllava, tmp_path):
    from swift_video_ext.video.synthetic import write_counter_clip

    clip = write_counter_clip(tmp_path / 'c.mp4', num_frames=12, fps=6)
    dataset = write_jsonl(tmp_path / 'd.jsonl', [{'query': '<video>Q', 'response': 'A', 'videos': [str(clip)]}] * 2)
    args = ['swift', 'sft', '--model', str(tiny_pllava), '--model_type', 'pllava', '--dataset', str(dataset),
            '--tuner_type', 'lora', '--max_steps', '1', '--per_device_train_batch_size', '1', *CPU_TRAIN_ARGS]
    run([*args, '--output_dir', str(tmp_path / 'on')])
    off = run([*args, '--output_dir', str(tmp_path / 'off')], env=command_env(SWIFT_VIDEO_EXT_AUTOLOAD='0'),
              check=False)
    assert off.returncode != 0 and "model_type: 'pllava' not in" in off.stderr
    shim = run(['swift-video', 'plugin-path']).stdout.strip()
    run([*args, '--output_dir', str(tmp_path / 'shim'), '--external_plugins', shim],
        env=command_env(SWIFT_VIDEO_EXT_AUTOLOAD='0'))


@pytest.mark.slow
def test_wheel_ships_the_startup_hook(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w', str(tmp_path), '.'], check=True,
                   cwd=str(__import__('tests.conftest', fromlist=['REPO_ROOT']).REPO_ROOT), timeout=600)
    (wheel,) = tmp_path.glob('swift_video_ext-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record = archive.read(next(n for n in names if n.endswith('RECORD'))).decode()
    assert {'swift_video_ext_autoload.pth', 'swift_video_ext_autoload.py'} <= names
    assert 'swift_video_ext/_swift_shim/swift_video_ext_plugin.py' in names
    assert 'swift_video_ext_autoload.pth' in record  # so pip uninstall removes it
