"""Close torch.distributed's process group when a process ends.

ms-swift never calls ``destroy_process_group()``. Under gloo (``--use_cpu true`` DDP), a rank that exits with the
group still alive can abort during interpreter shutdown ("terminate called without an active exception", exit -6)
after training has finished and the checkpoint has been saved, so torchrun reports the whole run as failed. Seen
once in a full test run on 2 busy cores. The hook below destroys the group at exit, where it is still initialised.
"""

from __future__ import annotations

import contextlib
import sys

from . import seam


def close_process_group() -> None:
    """Destroy the default process group if this process has one (no import of torch if it never did)."""
    distributed = sys.modules.get('torch.distributed')
    if distributed is None or not distributed.is_available() or not distributed.is_initialized():
        return
    with contextlib.suppress(Exception):  # best effort at exit: never turn a finished run into a failure
        distributed.destroy_process_group()


def install() -> None:
    """Register :func:`close_process_group` to run at exit (once), through the seam."""
    seam.at_exit(seam.PROCESS_GROUP_AT_EXIT, close_process_group)
