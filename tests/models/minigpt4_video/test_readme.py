"""The MiniGPT4-Video template table (docs/models/minigpt4-video.md) is what the templates produce on its fixed row."""

import re
from pathlib import Path

import pytest

from swift_video_ext.models.minigpt4_video.template import template_names
from swift_video_ext.video.synthetic import write_counter_clip, write_subtitles
from tests.helpers import make_template

PAGE = Path(__file__).parents[3] / 'docs' / 'models' / 'minigpt4-video.md'


def readme_layouts() -> dict[str, str]:
    table = PAGE.read_text().split('<!-- minigpt4-templates -->')[1].split('<!-- /minigpt4-templates -->')[0]
    layouts = {}
    for row in table.strip().splitlines()[2:]:
        names, _, layout = (cell.strip() for cell in row.strip('|').split('|'))
        for name in re.findall(r'`([^`]+)`', names):
            layouts[name] = layout.strip('`').replace('\\n', '\n')
    return layouts


def render(template, ids: list[int]) -> str:
    """Token ids as text: each run of one frame's image tokens → ``<ImageHere>``, other runs decoded."""
    image, per_frame = template.processor.image_token_id, template.processor.tokens_per_frame
    out, text = [], []
    position = 0
    while position < len(ids):
        if ids[position] == image:
            out.append(template.tokenizer.decode(text) + '<ImageHere>')
            text, position = [], position + per_frame
        else:
            text.append(ids[position])
            position += 1
    return ''.join(out) + template.tokenizer.decode(text)


@pytest.fixture(scope='module')
def tiny_minigpt(tiny_checkpoint):
    return tiny_checkpoint('minigpt4_video', num_frames=3, max_subtitle_words=400)


def test_readme_table_lists_every_template_with_its_real_layout(tiny_minigpt, tmp_path):
    layouts = readme_layouts()
    assert sorted(layouts) == sorted(template_names())
    clip = write_counter_clip(tmp_path / 'row.mp4', num_frames=2, fps=1, width=64, height=48)
    write_subtitles(tmp_path / 'row.vtt', [(0.0, 0.5, 'hi  there'), (1.0, 1.5, 'the end')])
    row = {'messages': [{'role': 'user', 'content': '<video>Q'}, {'role': 'assistant', 'content': 'A'}],
           'videos': [str(clip)]}
    for name, layout in layouts.items():
        template = make_template(tiny_minigpt, 'minigpt4_video', name)
        assert render(template, template.encode(row)['input_ids']) == layout, name
