"""The GPT judge of open-ended answers: any OpenAI-compatible endpoint, polite retries, a persistent cache.

The papers judged with OpenAI's ``gpt-3.5-turbo-0125`` (PLLaVA) or the unpinned ``gpt-3.5-turbo`` (MiniGPT4-Video);
lmms-eval now defaults to ``gpt-4o-2024-11-20``. Scores are comparable only with the same judge and prompt, so the
judge model is always named by the caller (no default) and recorded with every score.

- Prompts: ``judge_prompts.json`` holds the official prompts verbatim, read from the official code by
  ``tests/eval/known_answers/oracle/extract_judge_prompts.py`` (PLLaVA @ 6f49fd2, MiniGPT4-video @ ecabd7a).
- Retries: the ``openai`` client's own (exponential backoff with jitter, ``Retry-After`` honoured) for 408/409/429/5xx
  and connection errors, ``max_retries`` times. A call that still fails stops the evaluation with the error: a judge
  outage must not turn into zeros (the official scripts scored such items 0); the cache keeps what was judged.
- Cache: SQLite, keyed by (judge model, temperature, system prompt, user prompt, attempt); a rerun asks nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DEFAULT_CACHE = Path(os.environ.get('SWIFT_VIDEO_JUDGE_CACHE',
                                    Path.home() / '.cache' / 'swift_video_ext' / 'judge.sqlite'))


@dataclass(frozen=True)
class JudgePrompt:
    """One official judge prompt: ``str.format`` templates and where they come from."""

    key: str  # e.g. "pllava/videoqa/MSVD_QA"
    system: str
    user: str
    paper_model: str  # the judge the paper used
    source: str  # repo@commit file object


def _prompt_data() -> dict:
    return json.loads(resources.files(__package__).joinpath('judge_prompts.json').read_text(encoding='utf-8'))


def official_prompt(rule: str, name: str) -> JudgePrompt:
    """``rule`` 'pllava' (names: MSVD_QA, MSRVTT_QA, ActivityNet, TGIF_QA, correctness, detailed_orientation,
    context, temporal, consistency) or 'minigpt4_video' (zeroshot and the five VCGBench dimensions)."""
    data = _prompt_data()
    if rule == 'pllava':
        block = data['pllava']['pllava_videoqa' if name in data['pllava']['pllava_videoqa']['prompts']
                                else 'pllava_vcgbench']
        prompt = block['prompts'][name]
        return JudgePrompt(f'pllava/{name}', prompt['system'], prompt['user'], block['model'],
                           f'{data["pllava"]["repo"]}@{data["pllava"]["commit"][:7]} {block["file"]} '
                           f'{block["object"]}[{name!r}]')
    if rule == 'minigpt4_video':
        prompt = data['minigpt4_video']['prompts'][name]
        return JudgePrompt(f'minigpt4_video/{name}', prompt['system'], prompt['user'], prompt['model'],
                           f'{data["minigpt4_video"]["repo"]}@{data["minigpt4_video"]["commit"][:7]} '
                           f'{prompt["file"]} {prompt["function"]}')
    raise ValueError(f'unknown judge rule {rule!r}: pllava or minigpt4_video')


class JudgeCache:
    """A thread-safe SQLite store of judge replies."""

    def __init__(self, path: str | os.PathLike = DEFAULT_CACHE):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute('CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT, reply TEXT)')
        self._db.commit()

    @staticmethod
    def key(model: str, temperature: float | None, system: str, user: str, attempt: int) -> str:
        payload = json.dumps([model, temperature, system, user, attempt], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute('SELECT reply FROM replies WHERE key = ?', (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, model: str, reply: str) -> None:
        with self._lock:
            self._db.execute('INSERT OR REPLACE INTO replies VALUES (?, ?, ?)', (key, model, reply))
            self._db.commit()


class Judge:
    """Ask an OpenAI-compatible chat endpoint; replies are cached, so each question is paid for once."""

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None, *,
                 cache: JudgeCache | None = None, temperature: float | None = None, max_retries: int = 6,
                 timeout: float = 120.0, workers: int = 4):
        if not model:
            raise ValueError('name the judge model (--judge-model): scores are only comparable with the same judge')
        self.model, self.base_url, self.temperature, self.workers = model, base_url, temperature, workers
        self.cache = cache or JudgeCache()
        self.asked = self.cached = 0
        self._api_key, self._max_retries, self._timeout = api_key, max_retries, timeout
        self._client = None

    def _get_client(self):
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError:
                raise ImportError('the judge needs the openai client: pip install "swift-video-ext[eval]"') from None
            api_key = self._api_key or os.environ.get('OPENAI_API_KEY') or 'EMPTY'
            self._client = OpenAI(base_url=self.base_url, api_key=api_key, max_retries=self._max_retries,
                                  timeout=self._timeout)
        return self._client

    def ask(self, system: str, user: str, attempt: int = 0) -> str:
        key = JudgeCache.key(self.model, self.temperature, system, user, attempt)
        reply = self.cache.get(key)
        if reply is not None:
            self.cached += 1
            return reply
        kwargs = {} if self.temperature is None else {'temperature': self.temperature}
        completion = self._get_client().chat.completions.create(
            model=self.model, messages=[{'role': 'system', 'content': system}, {'role': 'user', 'content': user}],
            **kwargs)
        reply = completion.choices[0].message.content or ''
        self.cache.put(key, self.model, reply)
        self.asked += 1
        return reply

    def map(self, function, items: list) -> list:
        """``function(item)`` for each item, ``workers`` at a time, in order."""
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            return list(pool.map(function, items))

    def describe(self) -> dict:
        return {'model': self.model, 'base_url': self.base_url, 'temperature': self.temperature,
                'asked': self.asked, 'from_cache': self.cached, 'cache': str(self.cache.path)}
