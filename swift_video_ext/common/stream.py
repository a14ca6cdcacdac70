"""Streamed answers equal non-streamed answers for our model types.

ms-swift 4.6's ``InferStreamer`` (every inference backend's stream: ``swift infer --stream true``, ``swift deploy``
with ``stream=True``) decodes the tokens since the last newline and "aligns" the leading spaces of each decode to the
first decode it made of them. Its very first call decodes no generated token (only the template's response prefix,
usually empty), so it records "no leading space" and strips every leading space from the start of the answer; a
segment that starts with two spaces after a newline loses one the same way. A tokenizer whose decode keeps the space
of the first token (byte-level BPE: Llama-3 of CogVLM2-Video, our tiny tokenizers) then streams ``"The video"`` where
the non-streamed answer is ``" The video"``.

For streamers of our templates this hook prints the new part of the decode of *all* tokens generated so far (the
non-streamed decode of a prefix of the answer), with ms-swift's rule for when to print: at a newline, after a CJK
character, at the end, otherwise up to the last space. The stream is then the non-streamed answer cut in pieces, for
any tokenizer. Other templates are left as ms-swift has them.
"""

from __future__ import annotations

import functools

from . import seam
from .template import VideoTemplate


def printable_end(text: str, printed: int, is_finished: bool, is_cjk) -> int:
    """Where the printable part of ``text`` ends (characters); never before ``printed``."""
    if is_finished or text.endswith('\n') or (text and is_cjk(ord(text[-1]))):
        return len(text)
    return max(text.rfind(' ') + 1, printed)


def exact_printable_text(streamer, raw_tokens: list[int], is_finished: bool) -> str:
    """The next piece of the decode of ``raw_tokens`` (all generated tokens so far) not printed yet."""
    text = streamer.template.decode_generate_ids(raw_tokens, is_finished=is_finished, first_token=False,
                                                 **streamer.decode_kwargs)
    end = printable_end(text, streamer.print_idx, is_finished, streamer._is_chinese_char)
    piece = text[streamer.print_idx:end]
    streamer.print_idx = end
    return piece


def _wrap_get_printable_text(original):
    @functools.wraps(original)
    def get_printable_text(self, raw_tokens: list[int], is_finished: bool) -> str:
        if self.first_token or not isinstance(self.template, VideoTemplate):
            return original(self, raw_tokens, is_finished)  # the first call prints the response prefix only
        return exact_printable_text(self, raw_tokens, is_finished)

    return get_printable_text


def install() -> None:
    """Wrap ``InferStreamer.get_printable_text`` through the seam (now, or once ms-swift's inference utilities are
    imported)."""
    seam.install(seam.EXACT_STREAM, _wrap_get_printable_text)
