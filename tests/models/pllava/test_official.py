"""Known answers from the official PLLaVA code (magic-research/PLLaVA @ 6f49fd2), recorded by running it in a
separate venv (torch 2.13 CPU, transformers 4.37.2, peft 0.10); see each JSON file's ``_source``:

- ``eval_sampler.json``: ``tasks/eval/eval_utils.py`` ``EvalDataset.get_index`` / ``ChatPllava.get_index``;
- ``train_sampler.json``: ``dataset/video_utils.py`` ``get_frame_indices(sample='rand')``;
- ``feature_repeat.json``: ``models/pllava/modeling_pllava.py`` ``PllavaMultiModalProjector.forward``;
- ``pixels.json``: ``models/pllava/processing_pllava.py`` ``PllavaProcessor.__call__`` (PIL CLIP, 4.37);
- ``prompts.json``: ``dataset/it_dataset.py`` ``process_qa`` + ``tasks/train/train_pllava_nframe_accel.py``
  ``preprocess`` (training), ``tasks/eval/eval_utils.py`` ``Conversation`` (evaluation).
"""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from swift_video_ext.models.pllava.modeling_pllava import repeat_frames
from swift_video_ext.video.sampling import select_indices
from tests.helpers import make_template

ANSWERS = Path(__file__).parent / 'known_answers'


def load(name):
    return json.loads((ANSWERS / name).read_text())


def synthetic_frame(width, height, index):
    """Deterministic (H, W, 3) uint8 test frame (the same formula generated the official known answers)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    r = (x * 255 // max(width - 1, 1) + 37 * index) % 256
    g = (y * 255 // max(height - 1, 1) + 3 * ((x // 7) % 5)) % 256
    b = (((x // 8 + y // 8 + index) % 2) * 180 + (x * y + 11 * index) % 61) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


# ------------------------------------------------------------------------------------------------ samplers
EVAL = load('eval_sampler.json')


@pytest.mark.parametrize('case', EVAL['no_window'] + EVAL['windows'],
                         ids=lambda c: f"n{c['num_frames_in_clip']}-N{c['num_segments']}-{c['bound']}@{c['fps']}")
def test_eval_sampler_equals_official(case):
    times = np.arange(case['num_frames_in_clip']) / (case['fps'] or 25.0)
    start, end = case['bound'] or (None, None)
    got = select_indices(times, 'segment_middle_fixed', num_frames=case['num_segments'], start=start, end=end)
    assert got.tolist() == case['indices']


def test_eval_sampler_window_at_29_97_fps_uses_the_nominal_rate():
    # timestamps of a 29.97 fps stream as pts * time_base: the rate is snapped to 30000/1001 as decord reports it
    times = np.arange(360) * 1001 / 30000
    case = next(c for c in EVAL['windows'] if c['fps_name'] == '29.97' and c['bound'] == [1.5, 3.7]
                and c['num_segments'] == 16)
    assert select_indices(times, 'segment_middle_fixed', num_frames=16, start=1.5, end=3.7).tolist() == \
        case['indices']


def test_eval_sampler_window_after_the_clip_is_a_clear_error():
    with pytest.raises(ValueError, match='no frame in the window'):
        select_indices(np.arange(50) / 25, 'segment_middle_fixed', num_frames=4, start=5.0, end=6.0)


TRAIN = load('train_sampler.json')


@pytest.mark.parametrize('case', TRAIN['rand'], ids=lambda c: f"n{c['vlen']}-N{c['num_frames']}")
def test_train_sampler_has_the_official_support(case):
    times = np.arange(case['vlen']) / 25.0
    draws = np.array([select_indices(times, 'segment_random_fixed', num_frames=case['num_frames'], seed=s)
                      for s in range(400)])
    lo, hi = np.array(case['min_per_position']), np.array(case['max_per_position'])
    assert draws.shape == (400, case['length'])
    assert np.all(np.diff(draws, axis=1) >= 0)
    if np.all(hi[:-1] < lo[1:]) or np.all(lo == hi):  # one range per segment: small, hit on both ends
        assert draws.min(0).tolist() == lo.tolist() and draws.max(0).tolist() == hi.tolist()
    else:  # a segment of one frame: the official takes a sorted random subset, padded with the last frame
        kept = min(case['vlen'], case['num_frames'])
        assert np.all(np.diff(draws[:, :kept], axis=1) > 0) and np.all(draws[:, kept:] == draws[:, [kept - 1]])
        assert draws.min() == 0 and draws.max() == case['vlen'] - 1


def test_train_sampler_window_follows_the_official_arithmetic():
    # read_frames_decord: int((end - start) * fps) frames from int(start * fps)
    times = np.arange(250) / 25.0
    draws = np.array([select_indices(times, 'segment_random_fixed', num_frames=4, seed=s, start=2.0, end=4.0)
                      for s in range(200)])
    assert draws.min() == 50 and draws.max() == 50 + 48  # 50 frames from 50; ranges exclude each last frame


# ------------------------------------------------------------------------------------------------ model repeat
@pytest.mark.parametrize('t,pattern', sorted(load('feature_repeat.json')['patterns'].items(), key=lambda x: int(x[0])))
def test_feature_repeat_equals_official(t, pattern):
    frames = torch.arange(int(t), dtype=torch.float32)[:, None].repeat(1, 3)
    assert repeat_frames(frames, 16)[:, 0].long().tolist() == pattern


# ------------------------------------------------------------------------------------------------ pixels
PIXELS = load('pixels.json')


@pytest.fixture(scope='module')
def official_like_processor(tiny_pllava):
    """Our processor with the released models' CLIP settings (llava-hf preprocessor_config), PIL backend."""
    from transformers import AutoTokenizer
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    from swift_video_ext.models.pllava.processing_pllava import PllavaProcessor

    tokenizer = AutoTokenizer.from_pretrained(tiny_pllava, trust_remote_code=False)
    return PllavaProcessor(CLIPImageProcessorPil(**PIXELS['clip_config']), tokenizer)


@pytest.mark.parametrize('case', PIXELS['cases'], ids=lambda c: f"{c['width']}x{c['height']}")
def test_pixels_equal_official(case, official_like_processor):
    processor = official_like_processor
    frames = np.stack([synthetic_frame(case['width'], case['height'], i) for i in range(case['num_frames'])])
    pixels = processor.preprocess_frames(frames).numpy()
    assert list(pixels.shape) == case['shape'] and pixels.dtype == np.float32
    mean = np.array(PIXELS['clip_config']['image_mean'], dtype=np.float32)[:, None, None]
    std = np.array(PIXELS['clip_config']['image_std'], dtype=np.float32)[:, None, None]
    levels = np.round((pixels * std + mean) * 255).astype(np.uint8)
    assert hashlib.sha256(levels.tobytes()).hexdigest() == case['uint8_levels_sha256']
    for *position, value in case['samples']:
        assert abs(float(pixels[tuple(position)]) - value) <= 1e-6
    assert abs(pixels.astype(np.float64).mean() - case['mean']) <= 1e-6
    assert abs(pixels.astype(np.float64).std() - case['std']) <= 1e-6


def test_long_edge_cap_sizes_equal_official():
    from swift_video_ext.models.pllava.processing_pllava import longshort_frames

    for case in PIXELS['cases']:
        frame = synthetic_frame(case['width'], case['height'], 0)[None]
        assert list(longshort_frames(frame, 336)[0].shape[:2]) == case['longshort_size_hw']


def test_loader_uses_the_pil_clip_processor_and_no_remote_code(tiny_pllava, monkeypatch):
    import transformers
    from swift.model import get_processor

    import swift_video_ext.plugin  # noqa: F401

    seen = []
    for cls in (transformers.AutoTokenizer, transformers.AutoImageProcessor):
        original = cls.from_pretrained.__func__

        def spy(klass, *args, _original=original, **kwargs):
            seen.append((klass.__name__, kwargs.get('trust_remote_code')))
            return _original(klass, *args, **kwargs)

        monkeypatch.setattr(cls, 'from_pretrained', classmethod(spy))
    processor = get_processor(str(tiny_pllava), model_type='pllava')
    assert type(processor.image_processor).__name__ == 'CLIPImageProcessorPil'
    assert ('AutoTokenizer', False) in seen and ('AutoImageProcessor', False) in seen


# ------------------------------------------------------------------------------------------------ prompts
PROMPTS = load('prompts.json')
ROWS = {  # the rows the official prompts were built from (oracle.py), as ms-swift messages
    'single': [{'role': 'user', 'content': '<video>What happens?'}, {'role': 'assistant', 'content': 'a red square'}],
    'instruction': [{'role': 'system', 'content': 'Describe the video.'},
                    {'role': 'user', 'content': '<video>What happens?'},
                    {'role': 'assistant', 'content': 'a red square'}],
    'multi': [{'role': 'user', 'content': '<video>Q1'}, {'role': 'assistant', 'content': 'A1'},
              {'role': 'user', 'content': 'Q2'}, {'role': 'assistant', 'content': 'A2'}],
    'caption': [{'role': 'user', 'content': '<video>'}, {'role': 'assistant', 'content': 'A caption.'}],
}


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    from swift_video_ext.video.synthetic import write_counter_clip

    return write_counter_clip(tmp_path_factory.mktemp('official') / 'clip.mp4', num_frames=20, fps=10)


@pytest.fixture(scope='module')
def tiny_chatml(tiny_checkpoint):
    return tiny_checkpoint('pllava', chatml=True)


def expand_images(ids, image_id, count):
    return [t for i in ids for t in ([image_id] * count if i == image_id else [i])]


@pytest.mark.parametrize('family', ['vicuna', 'chatml'])
@pytest.mark.parametrize('row', sorted(ROWS))
def test_default_template_equals_official_training_tokens(family, row, tiny_pllava, tiny_chatml, clip):
    model_dir, template_type = (tiny_pllava, 'pllava') if family == 'vicuna' else (tiny_chatml, 'pllava_chatml')
    template = make_template(model_dir, 'pllava', template_type, 'train')
    tok, image_id = template.tokenizer, template.processor.image_token_id
    official = PROMPTS['train'][f'{family}/{row}/scripts']
    # the official preprocess: each segment encoded alone, special tokens (BOS) only on the first
    ids = [t for text, special in official['segments'] for t in tok.encode(text, add_special_tokens=special)]
    trained = [t for text in official['trained_segments'] for t in tok.encode(text, add_special_tokens=False)]
    enc = template.encode({'messages': ROWS[row], 'videos': [str(clip)]})
    assert enc['input_ids'] == expand_images(ids, image_id, template.processor.tokens_per_media)
    assert [t for t, label in zip(enc['input_ids'], enc['labels'], strict=True) if label != -100] == trained


@pytest.mark.parametrize('family', ['vicuna', 'chatml'])
@pytest.mark.parametrize('case', ['single', 'system', 'multi'])
def test_eval_template_equals_official_prompt(family, case, tiny_pllava, tiny_chatml, clip):
    model_dir, template_type, key = ((tiny_pllava, 'pllava_eval', 'eval_vcgbench') if family == 'vicuna'
                                     else (tiny_chatml, 'pllava_chatml_eval', 'eval_vcg_llavanext'))
    template = make_template(model_dir, 'pllava', template_type, 'transformers')
    tok, image_id = template.tokenizer, template.processor.image_token_id
    messages = {'single': [{'role': 'user', 'content': 'What happens?<video>'}],  # tag anywhere: own turn first
                'system': [{'role': 'system', 'content': 'Be brief.'},
                           {'role': 'user', 'content': '<video>What happens?'}],
                'multi': [{'role': 'user', 'content': '<video>Q1'}, {'role': 'assistant', 'content': 'A1'},
                          {'role': 'user', 'content': 'Q2'}]}[case]
    enc = template.encode({'messages': messages, 'videos': [str(clip)]})
    official = tok(PROMPTS['eval'][f'{key}/{case}'])['input_ids']  # PllavaProcessor: tokenizer(prompt)
    assert enc['input_ids'] == expand_images(official, image_id, template.processor.tokens_per_media)


def test_eval_templates_render_the_official_text(tiny_pllava, tiny_chatml, clip):
    for model_dir, template_type, key in [(tiny_pllava, 'pllava_eval', 'eval_vcgbench'),
                                          (tiny_chatml, 'pllava_chatml_eval', 'eval_vcg_llavanext')]:
        template = make_template(model_dir, 'pllava', template_type, 'transformers')
        enc = template.encode({'messages': [{'role': 'user', 'content': '<video>What happens?'}],
                               'videos': [str(clip)]})
        image = template.processor.image_token
        text = template.tokenizer.decode(enc['input_ids']).replace(image * template.processor.tokens_per_media, image)
        bos = template.tokenizer.bos_token
        assert text == bos + PROMPTS['eval'][f'{key}/single']


def test_pixels_through_the_user_path_equal_official(tiny_pllava, tmp_path, monkeypatch):
    """What `swift infer` runs: get_processor on a checkpoint with the released CLIP config → the pllava template
    encoding a frame folder (PNG, lossless) → pixel_values; the uint8 levels equal the official known answer.

    A 3-frame folder at 2 frames: ``segment_middle_fixed`` picks frames 0 and 1 (seg = 1, positions 0.5 → 0, 1.5 → 1).
    """
    from PIL import Image

    case = next(c for c in PIXELS['cases'] if (c['width'], c['height']) == (640, 360))
    model_dir = Path(shutil.copytree(tiny_pllava, tmp_path / 'model'))
    processor_config = json.loads((model_dir / 'processor_config.json').read_text())
    processor_config['image_processor'] = dict(PIXELS['clip_config'], image_processor_type='CLIPImageProcessor')
    (model_dir / 'processor_config.json').write_text(json.dumps(processor_config))
    folder = tmp_path / 'frames' / 'clip'
    folder.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(synthetic_frame(case['width'], case['height'], i)).save(folder / f'frame_{i + 1}.png')
    monkeypatch.setenv('NUM_FRAMES', '2')
    template = make_template(model_dir, 'pllava', 'pllava', 'transformers')
    pixels = template.encode({'messages': [{'role': 'user', 'content': '<video>Q'}],
                              'videos': [str(folder)]})['pixel_values'].numpy()
    assert list(pixels.shape) == case['shape']
    mean = np.array(PIXELS['clip_config']['image_mean'], dtype=np.float32)[:, None, None]
    std = np.array(PIXELS['clip_config']['image_std'], dtype=np.float32)[:, None, None]
    levels = np.round((pixels * std + mean) * 255).astype(np.uint8)
    assert hashlib.sha256(levels.tobytes()).hexdigest() == case['uint8_levels_sha256']
