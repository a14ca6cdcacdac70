"""Video captioning preprocessor (CMD, WebVid and generic rows) with the instruction pool."""

import json

from swift_video_ext.datasets.captions import INSTRUCTION_POOL
from swift_video_ext.video.synthetic import write_counter_clip
from tests.helpers import load_swift_dataset


def test_three_row_formats_and_instruction_pool(tmp_path, monkeypatch, capsys):
    write_counter_clip(tmp_path / 'cmd1.mp4', num_frames=6)
    write_counter_clip(tmp_path / '1066_1075' / '31353427.mp4', num_frames=6)
    write_counter_clip(tmp_path / 'clips' / 'x.webm', num_frames=6, codec='libvpx-vp9')
    rows = [{'image_id': 'cmd1', 'caption': 'A movie scene.'},
            {'videoid': 31353427, 'name': 'Aerial shot of a lake', 'page_dir': '1066_1075'},
            {'video': 'clips/x.webm', 'caption': 'Generic.'},
            {'image_id': 'gone', 'caption': 'Missing video.'},
            {'image_id': 'cmd1', 'caption': ''}]
    annotations = tmp_path / 'captions.json'
    annotations.write_text(json.dumps(rows))
    monkeypatch.setenv('VIDEO_CAPTIONS_PATH', str(annotations))
    monkeypatch.delenv('VIDEO_ROOT', raising=False)
    train, _ = load_swift_dataset('video_captions')
    out = list(train)
    assert [r['messages'][1]['content'] for r in out] == ['A movie scene.', 'Aerial shot of a lake', 'Generic.']
    assert out[1]['videos'] == [str(tmp_path / '1066_1075' / '31353427.mp4')]
    assert all(r['messages'][0]['content'].removeprefix('<video>') in INSTRUCTION_POOL for r in out)
    err = capsys.readouterr().err
    assert 'skipped 2 of 5 rows (1 videos not found, 1 rows without a caption)' in err
