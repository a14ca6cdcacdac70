"""``http(s)://`` and ``data:`` video sources; a dead, missing or silent server fails fast, named and counted.

The servers listen on 127.0.0.1 only and live in daemon threads that the fixtures stop.
"""

import base64
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from swift_video_ext.common.template import resolve_video_source
from swift_video_ext.video import VideoDecodeError, sample_video
from swift_video_ext.video.remote import forget_failures
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import free_port


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    return write_counter_clip(tmp_path_factory.mktemp('url') / 'clip.mp4', num_frames=30, fps=10)


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    forget_failures()
    monkeypatch.setenv('SWIFT_VIDEO_URL_TIMEOUT', '1')
    yield
    forget_failures()


@pytest.fixture(scope='module')
def server(clip):
    """Serves /clip.mp4; anything else is a 404. Yields the base URL and the list of paths requested."""
    body = clip.read_bytes()
    requested = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requested.append(self.path)
            if self.path == '/clip.mp4':
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404, 'Not Found')

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}', requested
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel completes them) and never answers."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_url_gives_the_same_frames_as_the_file(server, clip):
    base, _ = server
    local = sample_video(clip, 'uniform', num_frames=4)
    remote = sample_video(resolve_video_source(f'{base}/clip.mp4'), 'uniform', num_frames=4)
    assert np.array_equal(remote.frames, local.frames) and remote.indices.tolist() == local.indices.tolist()
    assert remote.source == f'{base}/clip.mp4'


def test_data_uri_gives_the_same_frames_as_the_file(clip):
    uri = 'data:video/mp4;base64,' + base64.b64encode(clip.read_bytes()).decode()
    local = sample_video(clip, 'uniform', num_frames=4)
    assert np.array_equal(sample_video(resolve_video_source(uri), 'uniform', num_frames=4).frames, local.frames)
    with pytest.raises(VideoDecodeError, match='invalid base64'):
        resolve_video_source('data:video/mp4;base64,@@not base64@@')


def test_404_names_the_url_and_is_not_fetched_again(server):
    base, requested = server
    url = f'{base}/gone.mp4'
    for _ in range(3):  # ms-swift tries a failing row three times
        with pytest.raises(VideoDecodeError, match='HTTP 404') as info:
            sample_video(url, 'uniform', num_frames=4)
        assert info.value.source == url
    assert requested.count('/gone.mp4') == 1


def test_refused_connection_names_the_url():
    url = f'http://127.0.0.1:{free_port()}/clip.mp4'
    with pytest.raises(VideoDecodeError, match='cannot fetch it.*[Rr]efused') as info:
        sample_video(url, 'uniform', num_frames=4)
    assert info.value.source == url


def test_server_that_never_answers_times_out_quickly(silent_port):
    url = f'http://127.0.0.1:{silent_port}/clip.mp4'
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(VideoDecodeError, match=r'no complete answer within 1 s') as info:
            sample_video(url, 'uniform', num_frames=4)
        assert info.value.source == url
    assert time.monotonic() - started < 4  # one 1 s wait, then the remembered failure


def test_bad_url_row_is_counted_once(tiny_pllava, server):
    from swift_video_ext.common import bad_samples
    from tests.common.test_bad_samples import pllava_template, row

    bad_samples.reset()
    template = pllava_template(tiny_pllava)
    url = f'{server[0]}/missing.mp4'
    with pytest.raises(VideoDecodeError, match='HTTP 404'):
        template.encode(row(url))
    assert bad_samples.skipped_samples() == {url: 1}
    bad_samples.reset()
