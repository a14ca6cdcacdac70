"""The PLLaVA template table (docs/models/pllava.md) is what the templates render (tiny tokenizer, fixed row)."""

import re
from pathlib import Path

import pytest

from swift_video_ext.models.pllava.template import VCG_SYSTEM
from tests.helpers import make_template

PAGE = Path(__file__).parents[3] / 'docs' / 'models' / 'pllava.md'


def readme_layouts() -> dict[str, str]:
    section = PAGE.read_text().split('## Templates', 1)[1].split('\n## ', 1)[0]
    rows = re.findall(r'^\| `(pllava\w*)`[^|]*\|[^|]*\| `(.+)` \|$', section, flags=re.M)
    return {name: layout.replace('\\|', '|') for name, layout in rows}


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(tmp_path_factory.mktemp('readme') / 'clip.mp4', num_frames=8, fps=4)


@pytest.mark.parametrize('template_type', ['pllava', 'pllava_chatml', 'pllava_eval', 'pllava_chatml_eval'])
def test_readme_layout_is_rendered_by_the_template(template_type, tiny_checkpoint, clip):
    evaluation = template_type.endswith('_eval')
    model_dir = tiny_checkpoint('pllava', chatml=True) if 'chatml' in template_type else tiny_checkpoint('pllava')
    template = make_template(model_dir, 'pllava', template_type, 'transformers' if evaluation else 'train')
    messages = [{'role': 'user', 'content': '<video>{q}'}]
    if evaluation:
        row = {'messages': messages, 'videos': [str(clip)]}
    else:
        row = {'messages': [{'role': 'system', 'content': '{system}'}, *messages,
                            {'role': 'assistant', 'content': '{a}'}], 'videos': [str(clip)]}
    processor = template.processor
    text = template.tokenizer.decode(template.encode(row)['input_ids'])
    text = text.replace(processor.image_token * processor.tokens_per_media, processor.image_token)
    text = text.replace(VCG_SYSTEM, '{VCG_SYS}').replace(template.tokenizer.bos_token, '<s>').replace('\n', '\\n')
    assert readme_layouts()[template_type] == text
