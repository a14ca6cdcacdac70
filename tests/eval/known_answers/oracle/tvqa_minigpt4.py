"""Known answers for TVQA as MiniGPT4-Video evaluates it: ``evaluation/eval_minigpt4_video.py --dataset tvqa``
(TVQAEVAL prompt: options layout, subtitles, frames) with a fake model, then ``GPT_evaluation/evaluate_zeroshot.py`` on
its predictions with a fake judge (the repo has no other TVQA scorer; its README says to run GPT_evaluation on the
prediction files). Needs torch (DataLoader, torch.stack), so it runs with the project venv's python, installing
nothing:
    /work/main/.venv/bin/python tests/eval/known_answers/oracle/tvqa_minigpt4.py --minigpt4 <MiniGPT4-video mirror> \
        --out tests/eval/known_answers/tvqa_minigpt4.json
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import tempfile
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _loader import (  # noqa: E402
    FakeJudge,
    ScriptedReplies,
    SequentialPool,
    header,
    load_official,
    materialize,
    run_script_main,
    stub_heavy_imports,
    stub_module,
    write_json,
)

SCRIPT = 'evaluation/eval_minigpt4_video.py'
DATASET_FILE = 'minigpt4/datasets/datasets/video_datasets.py'
ZEROSHOT = 'GPT_evaluation/evaluate_zeroshot.py'
FPS = 3  # TVQAEVAL.fps: frame i of a clip folder is at i / 3 s

# tvqa_val.json rows (the official TVQA annotation fields that TVQAEVAL reads).
ANNOTATIONS = [
    {'vid_name': 'friends_s01e01_seg02_clip_00', 'show_name': 'Friends', 'q': 'What is Ross holding?',
     'a0': 'A cup', 'a1': 'A book', 'a2': 'A phone', 'a3': 'A bag', 'a4': 'Nothing', 'answer_idx': 1, 'qid': 1},
    {'vid_name': 'met_s02e03_seg01_clip_05', 'show_name': 'How I Met You Mother', 'q': 'Where is Ted?',
     'a0': 'At the bar', 'a1': 'At home', 'a2': 'In a cab', 'a3': 'At work', 'a4': 'On a roof', 'answer_idx': 0,
     'qid': 2},
    {'vid_name': 'friends_s01e01_seg02_clip_00', 'show_name': 'Friends', 'q': 'Who enters first?',
     'a0': 'Monica', 'a1': 'Joey', 'a2': 'Chandler', 'a3': 'Rachel', 'a4': 'Phoebe', 'answer_idx': 3, 'qid': 3},
]
FRAMES = {'friends_s01e01_seg02_clip_00': ('friends_frames', 12), 'met_s02e03_seg01_clip_05': ('met_frames', 100)}
SUBTITLES = [  # the preprocessed subtitle json: [{"vid_name", "sub": [{"start", "end", "text"}]}]
    {'vid_name': 'friends_s01e01_seg02_clip_00', 'sub': [
        {'start': 0.0, 'end': 1.0, 'text': 'Hi guys.'},
        {'start': 1.5, 'end': 3.0, 'text': 'Look what I found.'}]},
    {'vid_name': 'met_s02e03_seg01_clip_05', 'sub': [
        {'start': 2.0, 'end': 9.0, 'text': 'Kids, in 2005 I was at the bar.'}]},
]
MODEL_ANSWERS = {  # question -> what the fake model generates
    'What is Ross holding?': '1',
    'Where is Ted?': 'The correct answer is option 2: In a cab',
    'Who enters first?': 'option 3: Rachel',
}
JUDGE = {  # generated answer -> fake judge reply
    "Predicted Answer: 1\n": ["{'pred': 'yes', 'score': 5}"],
    'Predicted Answer: The correct answer is option 2': ["{'pred': 'no', 'score': 1}"],
    'Predicted Answer: option 3: Rachel': ["{'pred': 'yes', 'score': 4}"],
}


class FakeModel:
    """Stands in for MiniGPT4-Video: generate() answers from MODEL_ANSWERS and records what it was given."""

    def __init__(self):
        self.seen: list[dict] = []

    def generate(self, images, texts, max_new_tokens=None, do_sample=None, lengths=None, num_beams=None):
        out = []
        for text, length in zip(texts, lengths.tolist(), strict=True):
            self.seen.append({'text': text, 'frames': length, 'images_shape': list(images.shape)})
            out.append(next(a for q, a in MODEL_ANSWERS.items() if q in text))
        return out


def install_stubs(mirror: str, model: FakeModel) -> None:
    """Stub what the script imports besides the dataset/prompt code: model init, registries, whisper, cv2, ..."""
    stub_heavy_imports(['nltk.translate.bleu_score', 'minigpt4.common.registry', 'minigpt4.common.config',
                        'minigpt4.datasets.builders', 'minigpt4.models', 'minigpt4.processors', 'minigpt4.tasks',
                        'pycocoevalcap.cider.cider', 'cv2', 'webvtt', 'moviepy.editor', 'decord', 'pysrt', 'chardet',
                        'whisper', 'minigpt4.datasets.datasets.base_dataset', 'transformers'])
    sys.modules['nltk.translate.bleu_score'].sentence_bleu = None
    sys.modules['minigpt4.common.registry'].registry = types.SimpleNamespace(get_model_class=None)
    sys.modules['minigpt4.common.config'].Config = None
    sys.modules['pycocoevalcap.cider.cider'].Cider = lambda: None
    sys.modules['minigpt4.datasets.datasets.base_dataset'].BaseDataset = type('BaseDataset', (), {})
    for name in ('AutoTokenizer', 'AutoModelForCausalLM', 'LlamaTokenizer', 'StoppingCriteria', 'StoppingCriteriaList'):
        setattr(sys.modules['transformers'], name, object)
    for name in ('VideoReader', 'cpu', 'gpu'):
        setattr(sys.modules['decord'], name, None)
    sys.modules['moviepy.editor'].VideoFileClip = None
    stub_module('minigpt4.processors.blip_processors', Blip2ImageTrainProcessor=None, BlipCaptionProcessor=None)
    sys.modules['openai'] = FakeJudge(lambda *_: '').module()
    eval_utils = load_official(mirror, 'minigpt4/common/eval_utils.py', 'minigpt4.common.eval_utils')

    def init_model(args):  # the official one builds the 7B model on cuda
        import torch

        processor = lambda image: torch.zeros(3, 2, 2)  # noqa: E731 - a vis_processor: PIL image -> tensor
        return model, processor, 0, 0, 0

    eval_utils.init_model = init_model
    load_official(mirror, 'minigpt4/conversation/conversation.py', 'minigpt4.conversation.conversation')
    load_official(mirror, DATASET_FILE, 'minigpt4.datasets.datasets.video_datasets')


def write_fixture(root: str) -> tuple[str, str]:
    """TVQA layout under ``root``: the hard-coded annotation path, frame folders, the subtitle json."""
    from PIL import Image

    ann = Path(root, 'datasets/evaluation_datasets/tvqa_short/tvqa_val.json')
    ann.parent.mkdir(parents=True)
    ann.write_text(json.dumps(ANNOTATIONS))
    videos = Path(root, 'frames')
    for vid, (folder, n) in FRAMES.items():
        clip = videos / folder / vid
        clip.mkdir(parents=True)
        for i in range(n):
            Image.new('RGB', (4, 4), (i % 256, 0, 0)).save(clip / f'{i + 1:05d}.jpg')
    subs = Path(root, 'tvqa_subtitles.json')
    subs.write_text(json.dumps(SUBTITLES))
    return str(videos), str(subs)


def run_eval_script(mirror: str, model: FakeModel, subtitles: bool, cfg: str) -> dict:
    script = materialize(mirror, [SCRIPT]) / SCRIPT
    options = ['--dataset', 'tvqa', '--batch_size', '2', '--name', 'known', '--cfg-path', cfg]
    options += ['--add_subtitles'] if subtitles else []
    old_cwd, old_argv = os.getcwd(), sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        videos, subs = write_fixture(tmp)
        os.chdir(tmp)
        sys.argv = [str(script), *options, '--videos_path', videos, '--subtitles_path', subs]
        model.seen.clear()
        try:
            runpy.run_path(str(script), run_name='__main__')
        finally:
            os.chdir(old_cwd)
            sys.argv = old_argv
        name = f"known_tvqa_{'subtitles' if subtitles else 'no_subtitles'}.json"
        with open(os.path.join(tmp, 'results', name)) as f:
            results = json.load(f)
    return {'argv': [*options, '--videos_path', '<frames>', '--subtitles_path', '<subtitles json>'],
            'model_inputs': [dict(s) for s in model.seen], 'results_json': results}


def judge_predictions(mirror: str, results: list[dict]) -> dict:
    module = load_official(mirror, ZEROSHOT, 'minigpt4_evaluate_zeroshot')
    module.Pool = SequentialPool
    judge = FakeJudge(ScriptedReplies(JUDGE))
    module.openai = judge.module()
    with tempfile.TemporaryDirectory() as tmp:
        pred_path = os.path.join(tmp, 'preds.json')
        with open(pred_path, 'w') as f:
            json.dump(results, f)
        outcome = run_script_main(module, ['--pred_path', pred_path, '--output_dir', os.path.join(tmp, 'judged'),
                                           '--output_json', os.path.join(tmp, 'all.json'), '--api_key', 'none',
                                           '--num_tasks', '2'])
    outcome['stdout'] = [line for line in outcome['stdout'] if not line.startswith(('completed_files', 'incomplete'))]
    outcome['judge_requests'] = judge.calls
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--minigpt4', required=True)
    parser.add_argument('--out', required=True)
    args = parser.parse_args()
    model = FakeModel()
    install_stubs(args.minigpt4, model)
    data = header('Vision-CAIR/MiniGPT4-video', args.minigpt4, SCRIPT,
                  'script body for --dataset tvqa (TVQAEVAL.__getitem__ prompt, prepare_texts, result rows); '
                  'then GPT_evaluation/evaluate_zeroshot.py main() on the results', (
                      'tests/eval/known_answers/oracle/tvqa_minigpt4.py with /work/main/.venv/bin/python (torch). '
                      'eval_minigpt4_video.py run as __main__ (runpy) in a temp cwd holding the hard-coded '
                      'datasets/evaluation_datasets/tvqa_short/tvqa_val.json, frame folders and a subtitle json; '
                      'official modules loaded from the mirror: minigpt4/common/eval_utils.py (prepare_texts, '
                      'eval_parser; init_model replaced by a fake model + vis_processor returning zeros(3,2,2)), '
                      'minigpt4/conversation/conversation.py (CONV_VISION), minigpt4/datasets/datasets/'
                      'video_datasets.py (TVQAEVAL). Stubbed imports: registry/config/builders/models/processors/'
                      'tasks, nltk, pycocoevalcap, transformers, cv2, webvtt, moviepy, decord, pysrt, chardet, '
                      'whisper, openai. The fake model answers from a fixed table and records its prompts.'))
    data['inputs'] = {'tvqa_val.json': ANNOTATIONS, 'frames_per_clip': {k: v[1] for k, v in FRAMES.items()},
                      'subtitles_json': SUBTITLES, 'fake_model_answers': MODEL_ANSWERS, 'judge_replies': JUDGE}
    runs = {}
    for key, subtitles, cfg in (('llama2_subtitles', True, 'test_configs/llama2_test_config.yaml'),
                                ('llama2_no_subtitles', False, 'test_configs/llama2_test_config.yaml'),
                                ('mistral_subtitles', True, 'test_configs/mistral_test_config.yaml')):
        runs[key] = run_eval_script(args.minigpt4, model, subtitles, cfg)
    data['cases'] = runs
    data['gpt_evaluation'] = {
        **header('Vision-CAIR/MiniGPT4-video', args.minigpt4, ZEROSHOT, 'main()',
                 'the llama2_subtitles results_json as --pred_path; fake openai<1.0 module; in-process Pool'),
        **judge_predictions(args.minigpt4, runs['llama2_subtitles']['results_json'])}
    write_json(args.out, data)


if __name__ == '__main__':
    main()
