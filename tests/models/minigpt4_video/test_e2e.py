"""MiniGPT4-Video staged training with the real commands: stage 1 (images, projector only) → stage 2 (video captions
with the instruction pool, LoRA + projector) → swift export --merge_lora; the trained projector survives the merge.

Stage 2 also overfits two one-colour clips of the same length asked the same question (no subtitles, so the prompts are
the same text): greedy ``swift infer`` must give each clip its own answer, a black clip must not get the green clip's
answer, and the adapter and merged runs must produce identical text.
"""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from swift_video_ext.video.synthetic import write_counter_clip, write_subtitles
from tests.helpers import (
    assert_answers_follow_the_pixels,
    assert_merged_answers_equal_adapter,
    command_env,
    greedy_answers,
    infer_results,
    logged_losses,
    merge_lora,
    merged_vs_adapter_max_diff,
    run,
    sft,
    write_jsonl,
    write_overfit_rows,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def stages(tmp_path_factory):
    from PIL import Image

    from swift_video_ext.models.minigpt4_video.tiny import build_tiny

    root = tmp_path_factory.mktemp('mg_e2e')
    model_dir = build_tiny(root / 'tiny', num_frames=4, max_subtitle_words=20)
    images = []
    for i, colour in enumerate([(255, 0, 0), (0, 0, 255)]):
        Image.fromarray(np.full((40, 60, 3), colour, dtype=np.uint8)).save(root / f'img{i}.png')
        images.append({'messages': [{'role': 'user', 'content': '<image>Describe this image in detail.'},
                                    {'role': 'assistant', 'content': ['A red picture.', 'A blue picture.'][i]}],
                       'images': [str(root / f'img{i}.png')]})
    image_data = write_jsonl(root / 'images.jsonl', images * 2)
    _, stage1_ckpt = sft(['--model', str(model_dir), '--model_type', 'minigpt4_video', '--dataset', str(image_data),
                          '--tuner_type', 'full', '--freeze_llm', 'true', '--freeze_vit', 'true', '--freeze_aligner',
                          'false', '--learning_rate', '1e-3', '--max_steps', '6', '--per_device_train_batch_size', '2',
                          '--save_steps', '6'], root / 'stage1')

    videos = root / 'cmd_videos'
    write_counter_clip(videos / 'movie_a.mp4', num_frames=40, fps=10, event=(0.0, 2.0))
    write_counter_clip(videos / 'movie_b.mp4', num_frames=40, fps=10)
    write_subtitles(videos / 'movie_a.en.vtt', [(0.0, 1.5, 'look at that square')])
    captions = root / 'cmd.json'
    captions.write_text(json.dumps([{'image_id': 'movie_a', 'caption': 'A red square appears.'},
                                    {'image_id': 'movie_b', 'caption': 'Colours drift.'},
                                    {'image_id': 'movie_missing', 'caption': 'Skipped.'}] * 2))
    overfit, val = write_overfit_rows(root / 'solid', {'red': ((255, 0, 0), 'a red clip'),
                                                      'green': ((0, 255, 0), 'a green clip')}, num_frames=40, fps=10)
    env = command_env(VIDEO_CAPTIONS_PATH=str(captions), VIDEO_ROOT=str(videos))
    stage2 = root / 'stage2'
    stage2_run, checkpoint = sft(['--model', str(stage1_ckpt), '--model_type', 'minigpt4_video', '--dataset',
                                  'video_captions', str(write_jsonl(root / 'overfit.jsonl', overfit * 2)),
                                  '--tuner_type', 'lora', '--lora_rank', '8', '--lora_alpha', '16', '--target_regex',
                                  r'^language_model.*\.(q_proj|v_proj)$', '--modules_to_save', 'llama_proj',
                                  '--learning_rate', '1e-2', '--max_steps', '400', '--per_device_train_batch_size',
                                  '2', '--save_steps', '400', '--logging_steps', '10'], stage2, env=env)
    return {'stage1': stage1_ckpt, 'stage2': stage2, 'checkpoint': checkpoint, 'videos': videos,
            'merged': merge_lora(checkpoint), 'model': model_dir,
            'stage2_log': stage2_run.stdout + stage2_run.stderr, 'val': val}


def test_stage1_trained_only_the_projector(stages):
    before, after = load_file(str(stages['model'] / 'model.safetensors')), \
        load_file(str(stages['stage1'] / 'model.safetensors'))
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {'llama_proj.weight', 'llama_proj.bias'}


def test_stage2_loss_falls_and_skips_the_missing_video(stages):
    losses = logged_losses(stages['stage2'])
    assert losses[-1] < losses[0] - 0.25, losses
    log = stages['stage2_log']
    assert 'video_captions: skipping row 2, videos not found: movie_missing' in log, log[-3000:]
    assert 'video_captions: skipped 2 of 6 rows (2 videos not found); 4 rows kept' in log, log[-3000:]


@pytest.fixture(scope='module')
def answers(stages):
    """Greedy answers per clip from the adapter run (batched) and from the merged run."""
    return greedy_answers(stages['checkpoint'], stages['merged'], stages['val'])


def test_each_clip_gets_its_own_answer_and_blank_frames_change_it(answers):
    assert_answers_follow_the_pixels(answers[0], {'red.mp4': 'a red clip', 'green.mp4': 'a green clip'},
                                     blanked='green.mp4')


def test_adapter_and_merged_infer_give_identical_text(answers):
    assert_merged_answers_equal_adapter(answers)


def test_merge_keeps_the_trained_projector(stages):
    adapter = load_file(str(stages['checkpoint'] / 'adapter_model.safetensors'))
    merged = load_file(str(stages['merged'] / 'model.safetensors'))
    stage1 = load_file(str(stages['stage1'] / 'model.safetensors'))
    trained = next(v for k, v in adapter.items() if k.endswith('llama_proj.weight'))
    assert torch.equal(merged['llama_proj.weight'], trained)
    assert not torch.equal(trained, stage1['llama_proj.weight'])


def test_merged_logits_equal_adapter_logits_and_merged_infers(stages, tmp_path):
    from swift_video_ext.models.minigpt4_video import MiniGPT4VideoForConditionalGeneration

    rows = [{'messages': [{'role': 'user', 'content': '<video>Describe this video.'}],
             'videos': [str(stages['videos'] / name)]} for name in ('movie_a.mp4', 'movie_b.mp4')]
    diff = merged_vs_adapter_max_diff(MiniGPT4VideoForConditionalGeneration, stages['stage1'],
                                      stages['checkpoint'], stages['merged'], rows)
    assert diff <= 1e-4
    val = write_jsonl(tmp_path / 'val.jsonl', [dict(r, messages=r['messages'] + [
        {'role': 'assistant', 'content': 'x'}]) for r in rows])
    run(['swift', 'infer', '--model', str(stages['merged']), '--val_dataset', str(val), '--max_new_tokens', '4',
         '--temperature', '0'])
    assert len(infer_results(stages['merged'])) == 2
