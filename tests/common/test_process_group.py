"""The exit hook destroys a live gloo process group (ms-swift never does) and is a no-op without one."""

import subprocess
import sys


def test_exit_hook_destroys_a_live_process_group(tmp_path):
    script = tmp_path / 'rank.py'
    # atexit runs handlers last in, first out: the report registered before our hook runs after it
    script.write_text(
        'import atexit, os, torch.distributed as dist\n'
        "atexit.register(lambda: print('initialised after the hook:', dist.is_initialized()))\n"
        'from swift_video_ext.common import process_group\n'
        'process_group.install()\n'
        "os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=os.environ['PORT'])\n"
        "dist.init_process_group('gloo', rank=0, world_size=1)\n")
    import socket

    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    out = subprocess.run([sys.executable, str(script)], env={**__import__('os').environ, 'PORT': str(port)},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'initialised after the hook: False' in out.stdout, out.stdout


def test_exit_hook_without_a_process_group_does_nothing():
    from swift_video_ext.common.process_group import close_process_group

    close_process_group()  # no torch.distributed group here: must neither raise nor initialise one
    import torch.distributed as dist

    assert not dist.is_initialized()
