"""Tokenizers trained locally with `tokenizers` (no download), for tiny test checkpoints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

BASE_CORPUS = (
    'USER: ASSISTANT: Question: Answer: What is happening in the video? Describe the video in detail. '
    'The video shows a person walking a dog in the park, then a red square appears and moves to the right. '
    'a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 '
    '21 22 23 24 . , ; : ! ? ( ) [ ] { } < > / \\ - _ + = * # @ $ % & \' " \n'
    'Please analyze the sequence of frames from this video. What specific action or event is happening? '
    'The event starts at 1.0 seconds and ends at 3.5 seconds. From 0.0 to 2.0 seconds. [INST] [/INST] <Img> <Cap> '
    'playing guitar, riding a bike, cooking, swimming, dancing, juggling balls, a man is playing the guitar.'
)


def train_tiny_tokenizer(*, special_tokens: Sequence[str], bos_token: str | None, eos_token: str,
                         pad_token: str, unk_token: str | None = None, extra_special_tokens: Sequence[str] = (),
                         corpus: Iterable[str] = (), vocab_size: int = 400, add_bos: bool = True,
                         model_max_length: int = 8192):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained on a small built-in corpus plus ``corpus``.

    ``special_tokens`` get the first ids, in order. With ``add_bos`` the post-processor prepends ``bos_token`` when
    ``add_special_tokens=True`` (as Llama tokenizers do).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token=unk_token))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special_tokens),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    texts = [BASE_CORPUS, *corpus]
    tokenizer.train_from_iterator(texts * 4, trainer=trainer)
    if add_bos and bos_token is not None:
        bos_id = tokenizer.token_to_id(bos_token)
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f'{bos_token} $A', pair=f'{bos_token} $A {bos_token} $B', special_tokens=[(bos_token, bos_id)])
    else:
        tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    kwargs = {'bos_token': bos_token} if bos_token is not None else {}
    if unk_token is not None:
        kwargs['unk_token'] = unk_token
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=eos_token, pad_token=pad_token,
                                   extra_special_tokens=list(extra_special_tokens),
                                   model_max_length=model_max_length, **kwargs)
