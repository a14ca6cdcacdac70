"""Streamed text (ms-swift's ``InferStreamer``, token by token) equals the non-streamed decode for our templates,
whether the answer starts with a space or not, and whether the tokenizer's decode keeps the first token's leading
space (byte-level BPE) or strips it (Llama-2 SentencePiece). End to end through ``swift deploy``:
tests/serving/test_deploy_openai.py."""

from __future__ import annotations

import pytest

from tests.helpers import build_tiny

ANSWERS = (' The video shows a person walking.\n The dog runs', 'The video shows a dog.', '  a b\n\nc d ')


@pytest.fixture(scope='module')
def templates(tmp_path_factory) -> dict:
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    out = {}
    for model_type in ('pllava', 'cogvlm2_video_ts', 'minigpt4_video'):
        model_dir = build_tiny(model_type, tmp_path_factory.mktemp(model_type))
        out[model_type] = get_template(get_processor(str(model_dir)))
    return out


def streamed(template, ids: list[int]) -> str:
    """What the stream of ``ids`` (then the end token) prints, fed one token at a time as the engines feed it."""
    from swift.infer_engine.utils import InferStreamer

    streamer, text = InferStreamer(template), ''
    ids = [*ids, template.tokenizer.eos_token_id]
    for end in range(len(ids) + 1):
        text += streamer.get_printable_text(ids[:end], is_finished=end == len(ids))
    return text


@pytest.mark.parametrize('model_type', ['pllava', 'cogvlm2_video_ts', 'minigpt4_video'])
@pytest.mark.parametrize('answer', ANSWERS)
def test_streamed_equals_non_streamed(templates, model_type, answer):
    template = templates[model_type]
    ids = template.tokenizer.encode(answer, add_special_tokens=False)
    whole = template.decode_generate_ids([*ids, template.tokenizer.eos_token_id])
    assert whole == answer
    assert streamed(template, ids) == whole


def test_stripping_decoder(templates):
    """A decoder that drops the first leading space (as Llama-2's does) streams what it decodes, also after a newline
    (where ms-swift's own alignment drops the space of `` The dog``)."""
    from tokenizers import decoders

    template = templates['pllava']
    backend = template.tokenizer.backend_tokenizer
    saved = backend.decoder
    backend.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(' ', 1, 0)])
    try:
        ids = template.tokenizer.encode(ANSWERS[0], add_special_tokens=False)
        whole = template.decode_generate_ids(ids)
        assert whole == ANSWERS[0][1:]
        assert streamed(template, ids) == whole
    finally:
        backend.decoder = saved
