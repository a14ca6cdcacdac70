"""The CogVLM2-Video template table (docs/models/cogvlm2-video.md) is what the templates render (tiny checkpoint,
fixed rows)."""

import re
from pathlib import Path

from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import make_template

PAGE = Path(__file__).parents[3] / 'docs' / 'models' / 'cogvlm2-video.md'


def readme_layouts() -> dict[str, str]:
    section = PAGE.read_text().split('## Templates', 1)[1].split('\n## ', 1)[0]
    rows = re.findall(r'^\| `(cogvlm2_video_\w+)`[^|]*\|[^|]*\| (.+) \|$', section, flags=re.M)
    return dict(rows)


def render(template, encoded: dict) -> str:
    """Token ids → the table's notation: ``[BOS]``, ``[EOS]``, runs of vision slots as ``[pad]×N``, text decoded."""
    tokenizer = template.processor.tokenizer
    parts, text, run = [], [], 0

    def flush_text():
        if text:
            parts.append(tokenizer.decode(text))
            text.clear()

    for token, kind in zip(encoded['input_ids'], encoded['token_type_ids'], strict=True):
        if kind == 1:
            flush_text()
            run += 1
            continue
        if run:
            parts.append(f'[pad]×{run}')
            run = 0
        if token in (tokenizer.bos_token_id, tokenizer.eos_token_id):
            flush_text()
            parts.append('[BOS]' if token == tokenizer.bos_token_id else '[EOS]')
        else:
            text.append(token)
    if run:
        parts.append(f'[pad]×{run}')
    flush_text()
    return ''.join(parts)


def test_chat_layout_in_readme_is_what_the_template_renders(tiny_cogvlm, tmp_path):
    layout = readme_layouts()['cogvlm2_video_chat']
    assert '`Question: {q1} Answer: {a1}\\n…Question: {q} Answer:`' in layout and layout.endswith('`{a}[EOS]`')
    assert '`[pad]×66` vision slots + its ordinal `"0"`, `"1"`' in layout
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=20, fps=10)  # 2 s: frames at 0 s, 1 s, 2 s
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', 'cogvlm2_video_chat')
    encoded = template.encode({'messages': [{'role': 'user', 'content': '<video>{q1}'},
                                            {'role': 'assistant', 'content': '{a1}'},
                                            {'role': 'user', 'content': '{q}'},
                                            {'role': 'assistant', 'content': '{a}'}], 'videos': [str(clip)]})
    slots = template.processor.tokens_per_frame
    frames = ''.join(f'[pad]×{slots}{i}' for i in range(3))
    expected = f'[BOS]{frames}Question: {{q1}} Answer: {{a1}}\nQuestion: {{q}} Answer:{{a}}[EOS]'
    assert render(template, encoded) == expected


def test_base_layout_in_readme_is_what_the_template_renders(tiny_cogvlm, tmp_path):
    layout = readme_layouts()['cogvlm2_video_base']
    assert layout.startswith('`[BOS]` + `[pad]×(66·T)` + `{query}`') and 'history ignored' in layout
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=30, fps=10)
    template = make_template(tiny_cogvlm, 'cogvlm2_video_ts', 'cogvlm2_video_base')
    encoded = template.encode({'messages': [{'role': 'user', 'content': '<video>{query}'},
                                            {'role': 'assistant', 'content': '{a}'}], 'videos': [str(clip)]})
    frames = len(encoded['pixel_values'])
    assert frames == 24  # repeated to 24 on a 30-frame clip, as the official base loader
    assert render(template, encoded) == f'[BOS][pad]×{template.processor.tokens_per_frame * frames}{{query}}{{a}}[EOS]'
