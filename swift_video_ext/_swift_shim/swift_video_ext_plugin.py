"""Shim for ``--external_plugins``: alone in its folder so ms-swift's sys.path insertion exposes nothing else."""

import swift_video_ext.plugin  # noqa: F401
