"""``--padding_free`` / ``--packing`` for our model types without flash-attn (sdpa or eager attention).

ms-swift 4.6 refuses both flags unless ``--attn_impl`` is a flash-attention implementation
(``SftArguments._check_padding_free``): a packed row has no attention mask, and only flash attention splits it into
its samples (from ``position_ids``). Our three video types keep packed samples apart with sdpa and eager too: the
Llama language models of PLLaVA and MiniGPT4-Video get transformers' block-diagonal causal mask from the
restarting ``position_ids``, and CogVLM2-Video builds one from its own positions (each sample starts at position
0). So for ``swift sft`` with ``--model_type pllava|cogvlm2_video_ts|minigpt4_video`` and ``--attn_impl`` sdpa,
eager or unset (set to sdpa), the check passes, with a log line naming the cost: the mask is a materialised
L x L tensor over the whole packed row (memory and time quadratic in the packed length, where flash attention is
linear in memory and skips the cross-sample blocks). Every other case — other model types, ``swift rlhf``, other
attention implementations — keeps ms-swift's own check and message.
"""

from __future__ import annotations

import functools
from typing import Any

from ..logging_utils import get_logger
from . import seam

MASKED_TYPES = frozenset({'pllava', 'cogvlm2_video_ts', 'minigpt4_video'})  # sample isolation tested with sdpa/eager
MASKED_ATTENTION = (None, 'sdpa', 'eager')
logger = get_logger()


def allows_masked_packing(args: Any) -> bool:
    """Whether these (ms-swift) arguments ask for padding-free / packing that sdpa or eager attention can serve."""
    return (bool(args.padding_free or args.packing) and getattr(args, 'model_type', None) in MASKED_TYPES
            and getattr(args, 'attn_impl', None) in MASKED_ATTENTION and getattr(args, 'rlhf_type', None) is None)


def _wrap(original):
    @functools.wraps(original)
    def _check_padding_free(self) -> None:
        if not allows_masked_packing(self):
            return original(self)
        feature = 'packing' if self.packing else 'padding_free'
        self.padding_free = True  # what ms-swift's check does for --packing
        self.attn_impl = self.attn_impl or 'sdpa'
        logger.info(f'{feature} with --attn_impl {self.attn_impl} ({self.model_type}): packed samples are kept apart '
                    'by a block-diagonal causal mask built from their position_ids (exact, but an L x L mask over '
                    'each packed row: memory and time grow with the square of the packed length); with flash-attn '
                    'installed, --attn_impl flash_attn is the fast path')

    return _check_padding_free


def install() -> None:
    """Wrap ``SftArguments._check_padding_free`` through the seam once ms-swift's sft arguments are imported."""
    seam.install(seam.PADDING_FREE, _wrap)
