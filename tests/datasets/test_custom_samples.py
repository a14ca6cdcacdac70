"""The committed samples in custom_datasets/ load with ms-swift and encode with our templates."""

import pytest

from tests.conftest import REPO_ROOT
from tests.helpers import load_swift_dataset

SAMPLES = REPO_ROOT / 'custom_datasets'


@pytest.mark.parametrize('name', ['video_qa.jsonl', 'video_qa_query_response.jsonl'])
def test_standard_rows_encode_for_pllava(name, tiny_pllava, monkeypatch):
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    monkeypatch.setenv('ROOT_IMAGE_DIR', str(SAMPLES))
    train, _ = load_swift_dataset(str(SAMPLES / name))
    template = get_template(get_processor(str(tiny_pllava), model_type='pllava'))
    template.set_mode('train')
    for row in train:
        encoded = template.encode(row)
        assert encoded['frames_per_media'].tolist() == [4]
        assert any(label != -100 for label in encoded['labels'])
    assert len(train) >= 4


def test_videoinstruct_sample_with_registered_preprocessor(monkeypatch):
    monkeypatch.setenv('VIDEOINSTRUCT100K_PATH', str(SAMPLES / 'videoinstruct_sample.json'))
    monkeypatch.delenv('VIDEO_ROOT', raising=False)  # default: the json's folder (+ videos/)
    train, _ = load_swift_dataset('videoinstruct100k')
    assert len(train) == 4 and all(row['videos'][0].startswith(str(SAMPLES / 'videos')) for row in train)
