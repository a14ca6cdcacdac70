"""Errors raised by the video core."""


class VideoDecodeError(RuntimeError):
    """A video (or frame folder) that cannot be sampled; the message names the source and the reason."""

    def __init__(self, source: str, reason: str):
        self.source = str(source)
        self.reason = reason
        super().__init__(f'{self.source}: {reason}')
