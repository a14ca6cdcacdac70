"""Run the official PLLaVA code (magic-research/PLLaVA @ 6f49fd2) and write known answers for swift-video-ext.

Not part of the test suite (it needs the official repository and a transformers 4.37 venv):
  python3.11 -m venv venv && venv/bin/pip install torch==2.13.0+cpu 'transformers==4.37.*' 'peft==0.10.*' \
      'numpy<2' pillow==10.2.0 einops
  git --git-dir=<PLLaVA mirror> archive HEAD (or show each file) into ./src next to this script
  venv/bin/python make_known_answers.py tests/models/pllava/known_answers

Modules the official files import but the called functions never use (decord, cv2, imageio, moviepy, torchvision)
are replaced by empty modules; nothing that computes a returned value is stubbed.
"""
import ast
import hashlib
import itertools
import json
import random
import sys
import types
from pathlib import Path

import numpy as np

SRC = Path(__file__).parent / 'src'
OUT = Path(sys.argv[1])
sys.path.insert(0, str(SRC))
import torch  # noqa: E402
import transformers  # noqa: E402

assert transformers.__version__.startswith('4.37'), transformers.__version__
import transformers.image_transforms  # noqa: E402,F401
import transformers.image_utils  # noqa: E402,F401  (before the stubs: transformers probes optional modules)
import transformers.models.clip.image_processing_clip  # noqa: E402,F401

for name in ['decord', 'cv2', 'imageio', 'moviepy', 'moviepy.editor', 'torchvision', 'torchvision.transforms',
             'torchvision.transforms.functional', 'av']:
    module = types.ModuleType(name)
    module.VideoReader = module.cpu = module.VideoFileClip = object
    module.InterpolationMode = module.PILToTensor = module.transforms = object
    module.bridge = types.SimpleNamespace(set_bridge=lambda *_: None)
    sys.modules[name] = module

from dataset import it_dataset, video_utils  # noqa: E402
from tasks.eval import eval_utils  # noqa: E402

HEADER = ('Known answers from the official PLLaVA code (magic-research/PLLaVA @ 6f49fd2), run on CPU with '
          f'torch {torch.__version__}, transformers {transformers.__version__} by '
          'tests/models/pllava/known_answers/make_known_answers.py.')


def dump(name, payload):
    (OUT / name).write_text(json.dumps(payload, indent=1, sort_keys=False) + '\n')


# ---------------------------------------------------------------- a. samplers
def eval_sampler():
    cases = []
    for n in [1, 2, 3, 5, 7, 15, 16, 17, 31, 32, 100, 250]:
        for segments in [4, 8, 16]:
            ds = eval_utils.EvalDataset(num_segments=segments)
            got = ds.get_index(None, 25.0, n - 1, first_idx=0)
            demo = eval_utils.ChatPllava.get_index(None, n, segments)
            assert got.tolist() == demo.tolist()
            cases.append({'num_frames_in_clip': n, 'num_segments': segments, 'bound': None, 'fps': None,
                          'indices': got.tolist()})
    windows = []
    for fps_name, fps in [('25', 25.0), ('29.97', 30000 / 1001), ('30', 30.0), ('10', 10.0)]:
        n = int(12 * fps)  # a 12 s clip
        dur = n / fps
        for bound in [(0.0, 2.0), (1.5, 3.7), (0.02, 4.5), (2.5, 7.5), (0.0, 100.0), (-1.0, 1.0),
                      (dur - 1.0, dur), (dur - 0.5, dur + 3.0), (5.0, 5.2), (3.3, 3.3), (0.5, 12.5)]:
            for segments in [4, 8, 16]:
                ds = eval_utils.EvalDataset(num_segments=segments)
                got = ds.get_index(bound, fps, n - 1, first_idx=0)
                windows.append({'num_frames_in_clip': n, 'num_segments': segments, 'bound': list(bound),
                                'fps': fps, 'fps_name': fps_name, 'indices': got.tolist()})
    dump('eval_sampler.json', {
        '_source': HEADER + ' tasks/eval/eval_utils.py EvalDataset.get_index (read_video: max_frame = len - 1, '
                   'first_idx 0, fps = decord avg fps) and ChatPllava.get_index (demo; equal without a bound).',
        'no_window': cases, 'windows': windows})


def train_sampler():
    """video_utils.get_frame_indices(sample='rand') is random: record the support of each position and the
    padding over many seeded draws, plus the window arithmetic of read_frames_decord."""
    cases = []
    for vlen in [1, 3, 7, 15, 16, 17, 24, 31, 32, 33, 47, 100]:
        for num_frames in [4, 16]:
            draws = []
            for seed in range(400):
                random.seed(seed)
                np.random.seed(seed)
                draws.append([int(i) for i in video_utils.get_frame_indices(num_frames, vlen, sample='rand')])
            arr = np.array(draws)
            cases.append({'vlen': vlen, 'num_frames': num_frames, 'length': int(arr.shape[1]),
                          'min_per_position': arr.min(0).tolist(), 'max_per_position': arr.max(0).tolist(),
                          'all_sorted': bool(np.all(np.diff(arr, axis=1) >= 0)),
                          'examples': draws[:3]})
    middle = []
    for vlen in [1, 3, 7, 16, 17, 100]:
        middle.append({'vlen': vlen, 'num_frames': 16,
                       'indices': [int(i) for i in video_utils.get_frame_indices(16, vlen, sample='middle')]})
    dump('train_sampler.json', {
        '_source': HEADER + " dataset/video_utils.py get_frame_indices(sample='rand'), 400 draws per case "
                   "(random.seed / np.random.seed 0..399); read_frames_decord with clip=(start, end) uses "
                   "vlen = int((end - start) * fps) and offsets by int(start * fps).",
        'rand': cases, 'middle': middle})


# ---------------------------------------------------------------- b. model repeat
def feature_repeat():
    from models.pllava.configuration_pllava import PllavaConfig
    from models.pllava.modeling_pllava import PllavaMultiModalProjector

    config = PllavaConfig(vision_config={'model_type': 'clip_vision_model', 'hidden_size': 4, 'intermediate_size': 8,
                                         'num_hidden_layers': 1, 'num_attention_heads': 1, 'image_size': 28,
                                         'patch_size': 14},
                          text_config={'model_type': 'llama', 'hidden_size': 1, 'intermediate_size': 4,
                                       'num_hidden_layers': 1, 'num_attention_heads': 1, 'vocab_size': 8},
                          num_frames=16, pooling_shape=(16, 1, 1), frame_shape=(1, 1))
    projector = PllavaMultiModalProjector(config)
    with torch.no_grad():  # identity-like projector: the pooled token of frame t carries t
        projector.linear_1.weight.zero_()
        projector.linear_1.weight[0, 0] = 1.0
        projector.linear_1.bias.fill_(10.0)  # keep GELU in its near-linear positive range
        projector.linear_2.weight.fill_(1.0)
        projector.linear_2.bias.zero_()
    projector.act = torch.nn.Identity()
    patterns = {}
    for t in range(1, 17):
        features = torch.zeros(t, 1, 4)
        features[:, 0, 0] = torch.arange(t, dtype=torch.float32)
        out = projector(features, 'video', batch_size=1, num_videos=1)  # (1, 16, 1)
        patterns[str(t)] = [int(round(v - 10.0)) for v in out[0, :, 0].tolist()]
    dump('feature_repeat.json', {
        '_source': HEADER + ' models/pllava/modeling_pllava.py PllavaMultiModalProjector.forward, the '
                   'repeat_interleave branch for fewer frames than num_frames (16); value = source frame of '
                   'each of the 16 frames that are pooled.',
        'num_frames': 16, 'patterns': patterns})


# ---------------------------------------------------------------- c. pixels
def synthetic_frame(width, height, index):
    """Deterministic (H, W, 3) uint8 test frame (same formula as tests/models/pllava/test_pixels.py)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    r = (x * 255 // max(width - 1, 1) + 37 * index) % 256
    g = (y * 255 // max(height - 1, 1) + 3 * ((x // 7) % 5)) % 256
    b = (((x // 8 + y // 8 + index) % 2) * 180 + (x * y + 11 * index) % 61) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


CLIP_CONFIG = dict(crop_size={'height': 336, 'width': 336}, do_center_crop=True, do_convert_rgb=True,
                   do_normalize=True, do_rescale=True, do_resize=True,
                   image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711],
                   resample=3, rescale_factor=1 / 255, size={'shortest_edge': 336})


def pixels():
    from models.pllava.processing_pllava import PllavaProcessor
    from PIL import Image
    from tokenizers import Tokenizer, models
    from transformers import CLIPImageProcessor, PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({'<unk>': 0}, unk_token='<unk>')),
                                        unk_token='<unk>')
    processor = PllavaProcessor(CLIPImageProcessor(**CLIP_CONFIG), tokenizer)  # llava-hf preprocessor_config
    mean = np.array(CLIP_CONFIG['image_mean'], dtype=np.float32)[:, None, None]
    std = np.array(CLIP_CONFIG['image_std'], dtype=np.float32)[:, None, None]
    rng = np.random.default_rng(0)
    cases = []
    for width, height in [(1280, 720), (640, 360), (360, 640), (176, 144), (336, 336), (700, 300)]:
        frames = [Image.fromarray(synthetic_frame(width, height, i)) for i in range(2)]
        cropped = processor.resize_crop_longshort([[np.asarray(f) for f in frames]],
                                                  transformers.image_utils.ChannelDimension.LAST)[0]
        pv = processor(images=frames, return_tensors='np')['pixel_values'].astype(np.float32)  # (2, 3, 336, 336)
        levels = np.round((pv * std + mean) * 255).astype(np.int64)
        assert levels.min() >= 0 and levels.max() <= 255
        positions = [tuple(int(v) for v in (rng.integers(2), rng.integers(3), rng.integers(336),
                                            rng.integers(336))) for _ in range(48)]
        cases.append({
            'width': width, 'height': height, 'num_frames': 2,
            'longshort_size_hw': list(cropped[0].shape[:2]),
            'shape': list(pv.shape), 'dtype': str(pv.dtype),
            'uint8_levels_sha256': hashlib.sha256(levels.astype(np.uint8).tobytes()).hexdigest(),
            'rounded_1e-6_sha256': hashlib.sha256(np.round(pv.astype(np.float64), 6).tobytes()).hexdigest(),
            'mean': float(pv.astype(np.float64).mean()), 'std': float(pv.astype(np.float64).std()),
            'samples': [[*p, float(pv[p])] for p in positions],
        })
    dump('pixels.json', {
        '_source': HEADER + ' models/pllava/processing_pllava.py PllavaProcessor.__call__ (resize_crop_longshort '
                   'with its 640 long-edge cap, then CLIPImageProcessor (PIL, 4.37) with the llava-hf '
                   'preprocessor_config: shortest edge 336 bicubic, center crop 336, CLIP mean/std). Frames: '
                   'synthetic_frame(width, height, index) for index 0, 1. uint8_levels_sha256: sha256 of '
                   'round((pixel * std + mean) * 255) as uint8 (C-order, (T, 3, 336, 336)).',
        'clip_config': CLIP_CONFIG, 'cases': cases})


# ---------------------------------------------------------------- d. prompts
def train_functions():
    """split_and_record_separators and preprocess from tasks/train/train_pllava_nframe_accel.py, executed
    as written (the module itself imports accelerate/deepspeed-era training code)."""
    path = SRC / 'tasks/train/train_pllava_nframe_accel.py'
    tree = ast.parse(path.read_text())
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef)
              and n.name in ('split_and_record_separators', 'preprocess')]
    namespace = {'itertools': itertools, 'torch': torch, 'Optional': __import__('typing').Optional,
                 'Union': __import__('typing').Union, 'TensorType': transformers.utils.TensorType,
                 'IMAGE_TOKEN': '<image>'}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(path), 'exec'), namespace)
    return namespace['split_and_record_separators'], namespace['preprocess']


class RecordingTokenizer:
    """Stands in for the tokenizer in the official preprocess: records the segments it is asked to encode."""
    pad_token_id = 0

    def __init__(self):
        self.segments = []

    def encode(self, text, add_special_tokens=False):
        self.segments.append([text, bool(add_special_tokens)])
        return [len(self.segments)]  # one id per segment, so labels tell which segments are trained


def official_training(qa, family, *, mm_alone, add_second_msg, system='', secs=None):
    split, preprocess = train_functions()
    if family == 'vicuna':
        pre = dict(roles=['USER:', 'ASSISTANT:'], end_signal=(' ', '</s>'))
    else:
        pre = dict(roles=['<|im_start|>user\n', '<|im_start|>assistant\n'], end_signal=('<|im_end|>\n', '<|im_end|>\n'))
    ds = it_dataset.ITVidTrainDataset.__new__(it_dataset.ITVidTrainDataset)
    ds.mm_alone, ds.random_shuffle, ds.system = mm_alone, False, system
    ds.role = tuple(pre['roles'])
    ds.begin_signal = ['' for _ in ds.role]
    ds.end_signal = list(pre['end_signal'])
    ds.start_token, ds.end_token = '<Video>', '</Video>'
    msg = f" The video contains {len(secs)} frames sampled at {', '.join(secs)} seconds. " if add_second_msg else ''
    conversation, _ = ds.process_qa([dict(x) for x in qa], msg)
    tokenizer = RecordingTokenizer()
    args = types.SimpleNamespace(max_txt_l=512, dataset_video_placeholder='<Video></Video>',
                                 dataset_image_placeholder='<Image></Image>', roles=pre['roles'], ignore_index=-100,
                                 num_frames=1, clip_transform=False)
    processor = types.SimpleNamespace(tokenizer=tokenizer)
    sample = (torch.zeros(1, 3, 2, 2), conversation, '', 0)
    inputs = preprocess([sample], args, processor, collate_fn=lambda rows: {k: torch.tensor([r[k] for r in rows])
                                                                           for k in rows[0]})
    labels = inputs['labels'][0].tolist()
    trained = [tokenizer.segments[i - 1][0] for i in labels if i != -100]
    return {'conversation': conversation,
            'text': conversation.replace('<Video></Video>', '<image>'),
            'segments': tokenizer.segments, 'trained_segments': trained}


def prompts():
    ec = eval_utils.conv_templates
    out = {'_source': HEADER + ' Training: dataset/it_dataset.py ITImgTrainDataset.process_qa (random_shuffle '
                               'False) then tasks/train/train_pllava_nframe_accel.py preprocess (segments encoded '
                               'one by one, add_special_tokens only on the first: that is where BOS comes from; '
                               'trained_segments: segments whose labels are kept). The released scripts '
                               '(scripts/train_pllava_{7b,13b,34b}.sh) pass mm_alone False, add_second_msg False, '
                               'random_shuffle False, system "". Evaluation: tasks/eval/eval_utils.py '
                               'Conversation.user_query(q, is_mm=True) + get_prompt() (infer_vcgbench); '
                               'multi-turn via assistant_response + user_query as ChatPllava.answer/ask; the text '
                               'is tokenized by PllavaProcessor with add_special_tokens (BOS from the tokenizer).'}
    single = [{'q': 'What happens?', 'a': 'a red square'}]
    with_instr = [{'i': 'Describe the video.', 'q': 'What happens?', 'a': 'a red square'}]
    multi = [{'q': 'Q1', 'a': 'A1'}, {'q': 'Q2', 'a': 'A2'}]
    caption = [{'q': '', 'a': 'A caption.'}]
    secs = ['0.2', '0.6', '1.0', '1.4']
    train = {}
    for family in ['vicuna', 'chatml']:
        for name, qa in [('single', single), ('instruction', with_instr), ('multi', multi), ('caption', caption)]:
            train[f'{family}/{name}/scripts'] = official_training(qa, family, mm_alone=False, add_second_msg=False)
            train[f'{family}/{name}/mm_alone'] = official_training(qa, family, mm_alone=True, add_second_msg=False)
            train[f'{family}/{name}/mm_alone+second_msg'] = official_training(qa, family, mm_alone=True,
                                                                              add_second_msg=True, secs=secs)
    out['train'] = train
    evals = {}
    for key in ['eval_vcgbench', 'eval_vcg_llavanext', 'plain']:
        conv = ec[key].copy()
        conv.user_query('What happens?', is_mm=True)
        evals[f'{key}/single'] = conv.get_prompt()
        conv = ec[key].copy()
        conv.system = 'Be brief.'
        conv.user_query('What happens?', is_mm=True)
        evals[f'{key}/system'] = conv.get_prompt()
        conv = ec[key].copy()
        conv.user_query('Q1', is_mm=True)
        conv.assistant_response('A1')
        conv.user_query('Q2')
        evals[f'{key}/multi'] = conv.get_prompt()
        conv = ec[key].copy()
        conv.user_query('Compare.', is_mm=True)
        conv.user_query('', is_mm=True)  # a second video, as ChatPllava.answer adds one per missing mm token
        evals[f'{key}/two_videos'] = conv.get_prompt()
    # the demo: upload_video first (user_query("", is_mm=True)), then ask(text) with the demo's system
    conv = ec['plain'].copy()
    conv.user_query('', is_mm=True)
    conv.system = 'SYS'
    conv.user_query('What happens?')
    evals['plain/demo_upload_then_ask'] = conv.get_prompt()
    out['eval'] = evals
    out['systems'] = {k: ec[k].system for k in ['eval_vcgbench', 'eval_vcg_llavanext', 'plain']}
    dump('prompts.json', out)


if __name__ == '__main__':
    OUT.mkdir(parents=True, exist_ok=True)
    eval_sampler()
    train_sampler()
    feature_repeat()
    pixels()
    prompts()
    print('ok')
