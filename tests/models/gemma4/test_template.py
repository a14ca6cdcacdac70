"""Gemma-4 (ms-swift's own type): the compatibility fix for images/videos and the gemma4_frames video path."""

import numpy as np
import pytest

from swift_video_ext.video import sample_video
from swift_video_ext.video.synthetic import write_counter_clip, write_frame_folder


@pytest.fixture(scope='module')
def loaded(tiny_gemma4):
    from swift.model import get_model_processor

    import swift_video_ext.plugin  # noqa: F401

    return get_model_processor(str(tiny_gemma4), model_type='gemma4')


def template(processor, name, mode='train'):
    from swift.template import get_template

    t = get_template(processor, template_type=name)
    t.set_mode(mode)
    return t


def test_image_rows_train_through_ms_swift_forward(loaded, tmp_path):
    model, processor = loaded
    paths = write_frame_folder(tmp_path / 'f', 4, width=64, height=48)
    t = template(processor, 'gemma4_nothinking')
    enc = t.encode({'messages': [{'role': 'user', 'content': '<image>' * 4 + 'What is happening?'},
                                 {'role': 'assistant', 'content': 'playing guitar'}],
                    'images': [str(p) for p in paths]})
    assert enc['pixel_values'].shape[0] == 4
    loss = model(**t.data_collator([enc, enc])).loss
    assert loss.isfinite() and loss.requires_grad


def test_video_path_uses_true_timestamps(loaded, tmp_path):
    model, processor = loaded
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=150, fps=25)  # 6 s
    t = template(processor, 'gemma4_frames_nothinking')
    enc = t.encode({'messages': [{'role': 'user', 'content': '<video>What is happening?'},
                                 {'role': 'assistant', 'content': 'colours'}], 'videos': [str(clip)]})
    times = sample_video(clip, 'uniform', num_frames=4).timestamps  # frames 0, 50, 99, 149: 0, 2.0, 3.96, 5.96 s
    text = t.tokenizer.decode(enc['input_ids'])
    stamps = [f'{int(s // 60):02d}:{int(s % 60):02d}' for s in times]
    assert stamps == ['00:00', '00:02', '00:03', '00:05']
    positions = [text.index(s) for s in stamps]
    assert positions == sorted(positions) and enc['pixel_values_videos'].shape[0] == 4
    assert model(**t.data_collator([enc])).loss.isfinite()


def test_frame_folder_video_with_recorded_times(loaded, tmp_path):
    import json

    _, processor = loaded
    folder = tmp_path / 'frames' / 'clip'
    write_frame_folder(folder, 4, width=64, height=48)
    (folder / 'timestamps.json').write_text(json.dumps([30.0, 40.0, 50.0, 60.0]))
    t = template(processor, 'gemma4_frames_nothinking', mode='transformers')
    enc = t.encode({'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(folder)]})
    text = t.tokenizer.decode(enc['input_ids'])
    assert all(s in text for s in ('00:30', '00:40', '00:50', '01:00'))


def test_images_only_rows_are_unchanged_by_the_frames_template(loaded, tmp_path):
    _, processor = loaded
    paths = write_frame_folder(tmp_path / 'f', 2, width=64, height=48)
    row = {'messages': [{'role': 'user', 'content': '<image><image>Q'}, {'role': 'assistant', 'content': 'A'}],
           'images': [str(p) for p in paths]}
    a = template(processor, 'gemma4_nothinking').encode(dict(row))
    b = template(processor, 'gemma4_frames_nothinking').encode(dict(row))
    assert a['input_ids'] == b['input_ids'] and np.array_equal(a['pixel_values'], b['pixel_values'])


def test_generation_sees_the_images(loaded, tmp_path):
    """The first generated step's scores equal the forward's last logits, which depend on the images."""
    import torch

    model, processor = loaded
    paths = write_frame_folder(tmp_path / 'f', 4, width=64, height=48)
    t = template(processor, 'gemma4_nothinking', mode='transformers')
    batch = t.data_collator([t.encode({'messages': [{'role': 'user', 'content': '<image>' * 4 + 'What?'}],
                                       'images': [str(p) for p in paths]})])
    with torch.no_grad():
        logits = model(**batch).logits[:, -1]
        blank = model(**dict(batch, pixel_values=torch.zeros_like(batch['pixel_values']))).logits[:, -1]
        generated = model.generate(**batch, max_new_tokens=1, do_sample=False, output_scores=True,
                                   return_dict_in_generate=True)
    assert not torch.allclose(logits, blank)
    torch.testing.assert_close(generated.scores[0], logits, atol=1e-4, rtol=1e-4)


def test_video_generation(loaded, tmp_path):
    model, processor = loaded
    clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=40, fps=10)
    t = template(processor, 'gemma4_frames_nothinking', mode='transformers')
    rows = [{'messages': [{'role': 'user', 'content': '<video>What?'}], 'videos': [str(clip)]}] * 2
    batch = t.data_collator([t.encode(r) for r in rows])
    out = model.generate(**batch, max_new_tokens=3, do_sample=False)
    assert out.shape[0] == 2 and out[0].tolist() == out[1].tolist()


def _stamps(text: str) -> list[str]:
    import re

    return re.findall(r'\d\d:\d\d', text)


def test_video_path_stamps_real_times_of_a_vfr_clip(loaded, vfr_clip):
    """On a variable-frame-rate clip index/fps and the real times disagree: the prompt must carry the real ones.

    ``uniform`` x 4 of the 16-frame VFR clip (tests/conftest.py VFR_TIMES) picks frames 0, 5, 10, 15 at
    0.0, 1.0, 3.31, 7.0 s; index / average fps prints other stamps (checked: 00:04 for the third frame).
    """
    _, processor = loaded
    t = template(processor, 'gemma4_frames_nothinking', mode='transformers')
    enc = t.encode({'messages': [{'role': 'user', 'content': '<video>Q'}], 'videos': [str(vfr_clip)]})
    assert _stamps(t.tokenizer.decode(enc['input_ids'])) == ['00:00', '00:01', '00:03', '00:07']


def test_video_metadata_carries_the_real_frame_times(vfr_clip):
    """transformers prints ``frames_indices / fps`` as each frame's mm:ss: that must be the sampled timestamp."""
    from swift_video_ext.models.gemma4.template import video_metadata

    video = sample_video(vfr_clip, 'uniform', num_frames=4)
    meta = video_metadata(video)
    np.testing.assert_allclose(np.asarray(meta.frames_indices) / meta.fps, [0.0, 1.0, 3.31, 7.0], atol=1e-3)


@pytest.mark.parametrize('kind', ['images', 'video'])
def test_training_loss_sees_the_pixels(loaded, tmp_path, kind):
    """Training path: the train-mode encoding's loss changes when the pixels are blanked (images and video)."""
    import torch

    model, processor = loaded
    if kind == 'images':
        paths = write_frame_folder(tmp_path / 'f', 4, width=64, height=48)
        row = {'messages': [{'role': 'user', 'content': '<image>' * 4 + 'What is happening?'},
                            {'role': 'assistant', 'content': 'playing guitar'}], 'images': [str(p) for p in paths]}
        t, key = template(processor, 'gemma4_nothinking'), 'pixel_values'
    else:
        clip = write_counter_clip(tmp_path / 'clip.mp4', num_frames=40, fps=10, event=(0.0, 4.0))
        row = {'messages': [{'role': 'user', 'content': '<video>What is happening?'},
                            {'role': 'assistant', 'content': 'playing guitar'}], 'videos': [str(clip)]}
        t, key = template(processor, 'gemma4_frames_nothinking'), 'pixel_values_videos'
    batch = t.data_collator([t.encode(row)])
    assert (torch.as_tensor(batch['labels']) != -100).sum() > 0
    with torch.no_grad():
        loss = model(**batch).loss
        blank = model(**dict(batch, **{key: torch.zeros_like(batch[key])})).loss
    assert loss.isfinite() and blank.isfinite() and abs(loss.item() - blank.item()) > 1e-4, (loss, blank)
