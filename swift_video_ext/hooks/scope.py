"""Which ms-swift runs the hooks act on: ours (one of our templates, or one of our model types)."""

from __future__ import annotations

from typing import Any

from ..common.template import VideoTemplate
from ..models import spec_for


def ours(template: Any, args: Any) -> bool:
    """True for a run of one of our templates or model types; other runs are left as ms-swift has them."""
    return isinstance(template, VideoTemplate) or spec_for(getattr(args, 'model_type', None)) is not None
