"""ms-swift's flash-only check for ``--padding_free`` / ``--packing`` accepts sdpa and eager for our three types
(SFT only); everything else keeps ms-swift's refusal."""

from types import SimpleNamespace

import pytest


def check(**fields):
    from swift.arguments.sft_args import SftArguments

    import swift_video_ext.plugin  # noqa: F401

    args = SimpleNamespace(**{'padding_free': False, 'packing': False, 'attn_impl': None, **fields})
    SftArguments._check_padding_free(args)
    return args


@pytest.mark.parametrize('model_type', ['pllava', 'cogvlm2_video_ts', 'minigpt4_video'])
@pytest.mark.parametrize('attn_impl', [None, 'sdpa', 'eager'])
def test_our_types_pack_with_masked_attention(model_type, attn_impl):
    args = check(model_type=model_type, packing=True, attn_impl=attn_impl)
    assert args.padding_free is True  # as ms-swift's own check sets it for --packing
    assert args.attn_impl == (attn_impl or 'sdpa')


@pytest.mark.parametrize('fields', [
    {'model_type': 'qwen2_vl', 'padding_free': True},  # not ours: ms-swift's rule
    {'model_type': 'gemma4', 'padding_free': True},  # ours, but its isolation is not tested
    {'model_type': 'pllava', 'padding_free': True, 'attn_impl': 'flex_attention'},
    {'model_type': 'pllava', 'packing': True, 'rlhf_type': 'dpo'},  # SFT only
])
def test_everything_else_keeps_ms_swifts_refusal(fields):
    with pytest.raises(ValueError, match='requires a flash attention implementation'):
        check(**fields)


def test_flash_attention_goes_through_ms_swifts_own_check():
    args = check(model_type='pllava', packing=True, attn_impl='flash_attn')
    assert args.padding_free is True and args.attn_impl == 'flash_attn'


def test_flags_off_change_nothing():
    args = check(model_type='pllava')
    assert args.padding_free is False and args.attn_impl is None
