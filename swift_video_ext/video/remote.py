"""Videos given as ``http(s)://`` URLs: fetched whole into memory with a bounded wait, failures named and remembered.

``SWIFT_VIDEO_URL_TIMEOUT`` (seconds; default ms-swift's ``SWIFT_TIMEOUT``, else 20) bounds the whole fetch: the
connection, the wait for an answer and the download. A URL that failed is not fetched again in the same process
(ms-swift tries a failing row three times and may fetch it again later), so a dead server costs one timeout per URL.
"""

from __future__ import annotations

import os
import socket
import time

from .errors import VideoDecodeError

TIMEOUT_ENV = 'SWIFT_VIDEO_URL_TIMEOUT'
SWIFT_TIMEOUT_ENV = 'SWIFT_TIMEOUT'
DEFAULT_TIMEOUT = 20.0
_CHUNK = 1 << 16

_failed: dict[str, str] = {}  # url -> reason, for this process


def is_url(source) -> bool:
    """True for an ``http://`` or ``https://`` string."""
    return isinstance(source, str) and source.strip().lower().startswith(('http://', 'https://'))


def url_timeout() -> float:
    """Seconds a fetch may take in all (``SWIFT_VIDEO_URL_TIMEOUT``, else ``SWIFT_TIMEOUT``, else 20)."""
    for name in (TIMEOUT_ENV, SWIFT_TIMEOUT_ENV):
        value = os.environ.get(name, '').strip()
        if value:
            try:
                seconds = float(value)
            except ValueError:
                raise ValueError(f'{name} must be a number of seconds, got {value!r}') from None
            if seconds > 0:
                return seconds
    return DEFAULT_TIMEOUT


def fetch_url(url: str, timeout: float | None = None) -> bytes:
    """The body of ``url``; raises VideoDecodeError naming the URL and why (refused, HTTP status, timeout)."""
    url = url.strip()
    if url in _failed:
        raise VideoDecodeError(url, f'{_failed[url]} (failed earlier in this process, not fetched again)')
    timeout = url_timeout() if timeout is None else timeout
    try:
        return _download(url, timeout)
    except VideoDecodeError as error:
        _failed[url] = error.reason
        raise


def _download(url: str, timeout: float) -> bytes:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    late = f'no complete answer within {timeout:g} s (set {TIMEOUT_ENV} to wait longer)'
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the dataset names the URL
            chunks = []
            while True:
                if time.monotonic() > deadline:
                    raise VideoDecodeError(url, late)
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
    except urllib.error.HTTPError as error:
        raise VideoDecodeError(url, f'HTTP {error.code} {error.reason}') from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise VideoDecodeError(url, late) from None
        raise VideoDecodeError(url, f'cannot fetch it ({error.reason})') from None
    except TimeoutError:
        raise VideoDecodeError(url, late) from None
    except (OSError, ValueError) as error:
        raise VideoDecodeError(url, f'cannot fetch it ({type(error).__name__}: {error})') from None
    return b''.join(chunks)


def forget_failures() -> None:
    """Let failed URLs be fetched again (tests, or a long-running server after a network outage)."""
    _failed.clear()
