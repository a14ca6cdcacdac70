"""Contact sheets: a grid of the sampled frames with their indices, timestamps and subtitles."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np

from .types import SampledVideo


def draw_contact_sheet(video: SampledVideo, *, title: str = '', captions: Sequence[str] | None = None,
                       columns: int | None = None, thumb_width: int = 240):
    """A PIL image showing every sampled frame, labelled ``#index  t=1.23 s`` and its caption (e.g. subtitle)."""
    from PIL import Image, ImageDraw, ImageFont

    count = len(video)
    columns = columns or min(6, max(1, math.ceil(math.sqrt(count))))
    rows = max(1, math.ceil(count / columns))
    height, width = video.frames.shape[1:3] if count else (1, 1)
    thumb_height = max(1, int(round(thumb_width * height / width)))
    font = ImageFont.load_default()
    caption_lines = 3 if captions else 0
    label_height = 14 * (1 + caption_lines)
    header = 28 if title else 6
    sheet = Image.new('RGB', (columns * (thumb_width + 6) + 6, header + rows * (thumb_height + label_height + 8)),
                      (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((8, 8), title, fill=(240, 240, 240), font=font)
    for i in range(count):
        row, col = divmod(i, columns)
        x, y = 6 + col * (thumb_width + 6), header + row * (thumb_height + label_height + 8)
        thumb = Image.fromarray(np.ascontiguousarray(video.frames[i])).resize((thumb_width, thumb_height))
        sheet.paste(thumb, (x, y))
        label = f'#{int(video.indices[i])}  t={float(video.timestamps[i]):.2f} s'
        draw.text((x, y + thumb_height + 2), label, fill=(255, 220, 120), font=font)
        if captions and captions[i]:
            wrapped = textwrap.wrap(captions[i], width=max(8, thumb_width // 6))[:caption_lines]
            for j, line in enumerate(wrapped):
                draw.text((x, y + thumb_height + 16 + 14 * j), line, fill=(200, 230, 255), font=font)
    return sheet
