"""Runs pieces of the official MiniGPT4-video code (ecabd7a) on fake videos and synthetic subtitle files.

Functions/methods are taken from the official sources with ast and executed unchanged
cv2 / moviepy / the
vision processor are replaced by fakes whose frames carry their decode index.
"""
import ast
import pathlib
import types

import numpy as np
import torch
import webvtt

OFF = pathlib.Path('/work/oracle/minigpt4/official')


def pick(path, names, cls=None):
    tree = ast.parse((OFF / path).read_text())
    body = tree.body
    if cls:
        body = next(n for n in body if isinstance(n, ast.ClassDef) and n.name == cls).body
    nodes = [n for n in body if isinstance(n, (ast.FunctionDef, ast.Assign, ast.ClassDef)) and
             (getattr(n, 'name', None) in names or
              (isinstance(n, ast.Assign) and getattr(n.targets[0], 'id', None) in names))]
    assert len(nodes) == len(names), (names, [getattr(n, 'name', None) for n in nodes])
    return ast.unparse(ast.Module(nodes, []))


VIDEOS = {}  # path -> (n, fps)


class FakeCap:
    def __init__(self, path):
        self.n, self.fps, self.i = *VIDEOS[path], 0
    def isOpened(self):
        return True
    def read(self):
        if self.i >= self.n:
            return False, None
        f = np.zeros((1, 1, 3), dtype=np.int64)
        f[0, 0, 0] = self.i
        self.i += 1
        return True, f
    def get(self, prop):
        return self.fps
    def release(self):
        pass


class FakeClip:
    def __init__(self, path):
        n, self.fps = VIDEOS[path]
        self.duration = n / self.fps
    def close(self):
        pass


fake_cv2 = types.SimpleNamespace(VideoCapture=FakeCap, CAP_PROP_FPS=5, destroyAllWindows=lambda: None)
fake_transforms = types.SimpleNamespace(Compose=lambda fs: (lambda x: x), ToPILImage=lambda: None)
def vis(frame):
    return torch.tensor([int(frame[0, 0, 2])])  # after BGR->RGB the index sits in channel 2

ns = dict(cv2=fake_cv2, VideoFileClip=FakeClip, transforms=fake_transforms, vis_processor=vis, webvtt=webvtt,
          torch=torch, os=__import__('os'))
exec(pick('minigpt4_video_inference.py', ['extract_video_info', 'time_to_milliseconds', 'extract_subtitles',
                                           'find_subtitle', 'match_frames_and_subtitles', 'prepare_input']), ns)
# conversation.py: Conversation + CONV_VISION (the module imports transformers/registry only at top)
conv_ns = {}
exec('import dataclasses\nfrom enum import auto, Enum\nfrom typing import List, Tuple, Any\n' +
     pick('minigpt4/conversation/conversation.py', ['SeparatorStyle', 'Conversation', 'CONV_VISION']), conv_ns)
CONV_VISION = conv_ns['CONV_VISION']
eval_ns = {}
exec(pick('minigpt4/common/eval_utils.py', ['prepare_texts']), eval_ns)
ds_ns = dict(cv2=fake_cv2, VideoFileClip=FakeClip, webvtt=webvtt, torch=torch, os=__import__('os'))
exec(pick('minigpt4/datasets/datasets/video_datasets.py', ['__getitem__'], cls='VideoChatGPTDataset')
     .replace('def __getitem__', 'def train_getitem'), ds_ns)
exec(pick('minigpt4/datasets/datasets/video_datasets.py', ['__getitem__'], cls='VideoChatGPTEvalDataset')
     .replace('def __getitem__', 'def eval_getitem'), ds_ns)
model_ns = dict(torch=torch)
exec(pick('minigpt4/models/mini_gpt4_llama_v2.py', ['get_context_emb', 'prompt_wrap'], cls='MiniGPT4_Video'), model_ns)


def split_body(body):
    """Per-frame caption strings from a prompt body '<Img><ImageHere>[<Cap>...]...\\n{instruction}'."""
    frames = body.split('\n')[0].split('<Img><ImageHere>')[1:]
    return [f[len('<Cap>'):] if f.startswith('<Cap>') else (None if f == '' else '!' + f) for f in frames]


def run_inference(video, subs, question, mistral=False):
    ns['args'] = types.SimpleNamespace(ckpt='mistral_ckpt.pth' if mistral else 'llama_ckpt.pth')
    frames, body = ns['prepare_input'](video, subs, question)
    conv = CONV_VISION.copy()
    conv.system = ''
    conv.append_message(conv.roles[0], body)
    conv.append_message(conv.roles[1], None)
    return frames.flatten().tolist(), body, conv.get_prompt()


class FakeDS:
    def __init__(self, video, subs, length, max_sub_len, question):
        self.annotation = [{'video_id': 'v', 'a': 'ANSWER', 'q': question, 'question': question, 'answer': 'ANSWER'}]
        self.add_subtitles = subs is not None
        self.videos_has_subtitles = {'v': True} if subs else {}
        self.subtitle_folder = str(pathlib.Path(subs).parent) if subs else ''
        self.vis_root = self.videos_path = str(pathlib.Path(video).parent)
        self.videos_extension = {'v': 'mp4'}
        self.length, self.max_sub_len = length, max_sub_len
        self.transform = lambda x: x
        self.vis_processor = vis
        self.video_name_key, self.answer_key, self.question_key = 'video_id', 'answer', 'question'
        self.subs = subs
        self.whisper_model = None


def run_train(video, subs, question, length, max_sub_len):
    out = ds_ns['train_getitem'](FakeDS(video, subs, length, max_sub_len, question), 0)
    return out['image'].flatten().tolist(), out['instruction_input']


def run_eval(video, subs, question, length, max_sub_len):
    ds = FakeDS(video, subs, length, max_sub_len, question)
    ds_ns['generate_subtitles'] = lambda video_path, existed, whisper: subs  # the eval set's own .vtt
    images, instruction, answer, length, vid = ds_ns['eval_getitem'](ds, 0)
    texts = eval_ns['prepare_texts']([instruction], CONV_VISION.copy(), template='', lengths=[length])
    return images.flatten().tolist(), instruction, texts[0]
