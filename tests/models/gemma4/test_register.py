"""A Gemma-4 model trained with the card recipe (``gemma4_nothinking``, image rows) takes a video request."""

import pytest

from swift_video_ext.video.synthetic import write_counter_clip


@pytest.fixture(scope='module')
def processor(tiny_gemma4):
    from swift.model import get_processor

    import swift_video_ext.plugin  # noqa: F401

    return get_processor(str(tiny_gemma4), model_type='gemma4')


def encode(processor, name: str, row: dict) -> dict:
    from swift.template import get_template

    template = get_template(processor, template_type=name)
    template.set_mode('transformers')
    return template.encode(row)


@pytest.mark.parametrize('name', ['gemma4_nothinking', 'gemma4'])
def test_card_recipe_templates_sample_videos_without_torchcodec(processor, name, tmp_path):
    from swift_video_ext.models.gemma4.register import torchcodec_available

    if torchcodec_available():
        pytest.skip('torchcodec installed: ms-swift decodes the video itself')
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=50, fps=25)
    row = {'messages': [{'role': 'user', 'content': '<video>What is happening?'}], 'videos': [str(clip)]}
    ours = encode(processor, name, row)
    frames = encode(processor, f'gemma4_frames{name[len("gemma4"):]}', row)  # the dedicated video templates
    assert ours['input_ids'] == frames['input_ids']
    assert ours['pixel_values_videos'].shape[0] == 4
    assert (ours['pixel_values_videos'] == frames['pixel_values_videos']).all()


def test_image_rows_are_unchanged(processor, tmp_path):
    """Text and images encode exactly as ms-swift's own Gemma4Template does."""
    from swift.template import TEMPLATE_MAPPING
    from swift.template.templates.gemma import Gemma4Template

    from swift_video_ext.video.synthetic import write_frame_folder

    paths = write_frame_folder(tmp_path / 'f', 2, width=64, height=48)
    row = {'messages': [{'role': 'user', 'content': '<image><image>What is happening?'}],
           'images': [str(p) for p in paths]}
    ours = encode(processor, 'gemma4_nothinking', row)
    meta = TEMPLATE_MAPPING['gemma4_nothinking']
    original, meta.template_cls = meta.template_cls, Gemma4Template
    try:
        reference = encode(processor, 'gemma4_nothinking', row)
    finally:
        meta.template_cls = original
    assert ours['input_ids'] == reference['input_ids']
    assert (ours['pixel_values'] == reference['pixel_values']).all()
