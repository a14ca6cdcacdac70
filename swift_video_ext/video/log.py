"""The package logger (``swift_video_ext``): INFO and up to stderr, prefixed like ms-swift's own log lines.

It lives in the video core, the package's bottom layer; the layers above import it as
:mod:`swift_video_ext.logging_utils`.
"""

from __future__ import annotations

import logging
import os
import sys

_LOGGER_NAME = 'swift_video_ext'


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time (so redirections and test capture see it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


def get_logger() -> logging.Logger:
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter('[%(levelname)s:swift_video_ext] %(message)s'))
        logger.addHandler(handler)
        logger.setLevel(os.environ.get('SWIFT_VIDEO_LOG_LEVEL', 'INFO').upper())
        logger.propagate = False
    return logger
