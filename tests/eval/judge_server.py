"""A local OpenAI-compatible chat server for judge tests (loopback only, stdlib, stops with its context).

It judges like a strict grader: a prediction that contains the correct answer gets yes/5 (VideoQA) or score 5
(VCGBench), anything else no/0 or score 1. ``fail_first`` answers the first N requests with HTTP 429 and
``Retry-After: 0``, as a rate-limited endpoint does.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def grade(user: str) -> str:
    answer = re.search(r'Correct Answer: (.*)\n', user)
    preds = re.findall(r'Predicted Answer(?: to Question \d)?: (.*)\n', user)
    reference = (answer.group(1) if answer else '').lower().strip(' .')
    hit = bool(reference) and all(reference in p.lower() for p in preds) and bool(preds)
    if "keys 'pred' and 'score'" in user:
        return "{'pred': 'yes', 'score': 5}" if hit else "{'pred': 'no', 'score': 0}"
    return "{'score': 5}" if hit else "{'score': 1}"


class JudgeServer:
    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
                with server.lock:
                    server.requests.append(body)
                    failing = len(server.requests) <= server.fail_first
                if failing:
                    payload = json.dumps({'error': {'message': 'rate limited', 'type': 'rate_limit'}}).encode()
                    self.send_response(429)
                    self.send_header('Retry-After', '0')
                else:
                    reply = grade(body['messages'][-1]['content'])
                    payload = json.dumps({
                        'id': 'x', 'object': 'chat.completion', 'created': 0, 'model': body['model'],
                        'choices': [{'index': 0, 'finish_reason': 'stop',
                                     'message': {'role': 'assistant', 'content': reply}}],
                        'usage': {'prompt_tokens': 1, 'completion_tokens': 1, 'total_tokens': 2}}).encode()
                    self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.httpd.server_address[1]}/v1'


@contextmanager
def judge_server(fail_first: int = 0):
    server = JudgeServer(fail_first)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
