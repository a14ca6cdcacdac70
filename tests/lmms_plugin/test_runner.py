"""The runner behind the lmms-eval model, in this process on a tiny PLLaVA (no lmms-eval needed): the video PATH
reaches our template's sampler (not decoded frames), the recorded settings are the template's, generation settings
group and keep order, and an unusable video names its document (or is counted with ``on_bad_video=empty``)."""

from __future__ import annotations

import pytest

from swift_video_ext.common.template import VideoTemplate
from swift_video_ext.lmms_plugin.requests import Generation, split_visuals
from swift_video_ext.lmms_plugin.runner import Item, SwiftVideoRunner
from swift_video_ext.video import VideoDecodeError
from swift_video_ext.video.synthetic import write_counter_clip

GREEDY = Generation.from_gen_kwargs({'max_new_tokens': 4, 'temperature': 0})


@pytest.fixture(scope='module')
def runner(tiny_pllava) -> SwiftVideoRunner:
    return SwiftVideoRunner(str(tiny_pllava), torch_dtype='float32', max_batch_size=2, on_bad_video='empty')


@pytest.fixture(scope='module')
def clips(tmp_path_factory) -> list[str]:
    root = tmp_path_factory.mktemp('lmms_clips')
    return [str(write_counter_clip(root / f'c{i}.mp4', num_frames=24 + 6 * i, fps=12)) for i in range(3)]


def item(context: str, visuals, generation: Generation = GREEDY, where: str = 'tiny/test/doc 0') -> Item:
    return Item(context, generation, split_visuals(visuals, where), where)


def test_video_path_reaches_our_sampler(runner, clips, monkeypatch):
    seen, sampled = [], []
    original = VideoTemplate.sample_video

    def spy(self, video):
        seen.append(video)
        sampled.append(original(self, video))
        return sampled[-1]

    monkeypatch.setattr(VideoTemplate, 'sample_video', spy)
    answers = runner.generate([item('What happens?', [path]) for path in clips])
    assert len(answers) == len(clips) and all(isinstance(a, str) for a in answers)
    assert sorted(seen) == clips  # the path itself, not frames decoded elsewhere (batches encode in any order)
    sampling = runner.template.video_sampling
    assert sampling.strategy == 'segment_middle_fixed' and sampling.num_frames == 4  # the tiny PLLaVA's config
    assert [s.frames.shape[0] for s in sampled] == [4, 4, 4]
    assert runner.settings['model_type'] == 'pllava' and runner.settings['template'] == 'pllava'
    assert runner.settings['video_sampling'] == {'strategy': 'segment_middle_fixed', 'num_frames': 4,
                                                 'train_strategy': 'segment_random_fixed', 'source_fps': 1.0}


def test_groups_by_generation_settings_and_keeps_order(runner, clips):
    longer = Generation.from_gen_kwargs({'max_new_tokens': 8, 'temperature': 0})
    mixed = runner.generate([item('What happens?', [clips[0]]), item('What happens?', [clips[1]], longer),
                             item('What happens?', [clips[2]])])
    alone = [runner.generate([item('What happens?', [clips[0]])])[0],
             runner.generate([item('What happens?', [clips[1]], longer)])[0],
             runner.generate([item('What happens?', [clips[2]])])[0]]
    assert mixed == alone


def test_bad_video_is_named_and_counted(runner, clips, tmp_path):
    missing = str(tmp_path / 'missing.mp4')
    good = runner.generate([item('What happens?', [clips[0]])])
    answers = runner.generate([item('What happens?', [clips[0]]), item('What happens?', [missing], where='t/s/doc 1')])
    assert answers == [good[0], '']
    assert len(runner.bad_videos) == 1 and runner.bad_videos[0].startswith(f't/s/doc 1: {missing}')
    runner.on_bad_video = 'raise'
    try:
        with pytest.raises(VideoDecodeError, match=r'missing\.mp4.*t/s/doc 2'):
            runner.generate([item('What happens?', [missing], where='t/s/doc 2')])
    finally:
        runner.on_bad_video = 'empty'
