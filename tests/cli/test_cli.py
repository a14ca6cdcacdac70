"""The swift-video command line (run as a real console script)."""

import json

from tests.helpers import run


def test_sample_json_reports_indices_and_true_timestamps(gop_clip):
    result = json.loads(run(['swift-video', 'sample', str(gop_clip), '--strategy', 'segment_middle', '--num-frames',
                             '4', '--json']).stdout)
    assert result['indices'] == [14, 44, 74, 103]
    assert result['timestamps'] == [0.56, 1.76, 2.96, 4.12] and result['num_source_frames'] == 120


def test_sample_bad_file_exits_with_named_error(tmp_path):
    result = run(['swift-video', 'sample', str(tmp_path / 'gone.mp4'), '--num-frames', '2'], check=False)
    assert result.returncode == 2 and 'gone.mp4: file not found' in result.stderr


def test_sheet_shows_the_model_types_frames(gop_clip, tmp_path):
    from PIL import Image

    from swift_video_ext.video.synthetic import write_subtitles

    subtitles = write_subtitles(tmp_path / 'subs.srt', [(0.0, 2.0, 'first words'), (2.5, 4.0, 'second words')])
    out = tmp_path / 'sheet.png'
    result = run(['swift-video', 'sheet', str(gop_clip), '--model-type', 'pllava', '-o', str(out), '--subtitles',
                  str(subtitles)])
    assert '16 frames' in result.stdout
    with Image.open(out) as sheet:
        assert sheet.width > 600 and sheet.height > 300


def test_sample_without_strategy_uses_uniform_with_the_default_count(gop_clip):
    default = json.loads(run(['swift-video', 'sample', str(gop_clip), '--json']).stdout)
    explicit = json.loads(run(['swift-video', 'sample', str(gop_clip), '--strategy', 'uniform', '--num-frames', '8',
                               '--json']).stdout)
    assert len(default['indices']) == 8 and default['indices'] == explicit['indices']


def _one_line_error(result, *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count('\n') == 1 and 'Traceback' not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_user_errors_are_one_line_and_exit_2_and_debug_shows_the_traceback(gop_clip, tmp_path):
    adapter = tmp_path / 'adapter'
    adapter.mkdir()
    (adapter / 'adapter_config.json').write_text(json.dumps({'peft_type': 'LORA', 'lora_alpha': 32, 'r': 8}))
    existing = tmp_path / 'existing'
    existing.mkdir()
    command = ['swift-video', 'rescale-lora', str(adapter), '--alpha', '4', '-o', str(existing)]
    _one_line_error(run(command, check=False), 'existing exists', '--overwrite')
    debug = run([*command, '--debug'], check=False)
    assert debug.returncode != 0 and 'Traceback' in debug.stderr and 'FileExistsError' in debug.stderr
    _one_line_error(run(['swift-video', 'sample', str(gop_clip), '--strategy', 'bogus'], check=False),
                    "unknown sampling strategy 'bogus'")
    _one_line_error(run(['swift-video', 'sample', str(gop_clip), '--strategy', 'fps'], check=False), '--fps')
    _one_line_error(run(['swift-video', 'tiny-model', 'pllava', str(tmp_path / 'new'), '--options', '{bad'],
                        check=False), '--options is not JSON')


def test_convert_with_missing_tensors_is_a_user_error(monkeypatch, capsys):
    from swift_video_ext.cli.main import main
    from swift_video_ext.models.minigpt4_video import convert_minigpt4_video

    def refuse(*args, **kwargs):
        raise convert_minigpt4_video.ConversionError(['llama_proj.weight'], [])

    monkeypatch.setattr(convert_minigpt4_video, 'convert_checkpoint', refuse)
    argv = ['convert', 'minigpt4-video', '--ckpt', 'a.pth', '--eva', 'e.pth', '--llm', 'llm', '-o', 'out']
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and '1 model tensors without a source' in err and 'llama_proj.weight' in err


def test_tiny_model_refuses_a_non_empty_folder_unless_overwrite(tmp_path):
    target = tmp_path / 'ckpt'
    target.mkdir()
    (target / 'notes.txt').write_text('keep me')
    _one_line_error(run(['swift-video', 'tiny-model', 'pllava', str(target)], check=False), 'not an empty folder',
                    '--overwrite')
    assert sorted(p.name for p in target.iterdir()) == ['notes.txt']
    run(['swift-video', 'tiny-model', 'pllava', str(target), '--overwrite'])
    assert (target / 'config.json').is_file()


def test_sheet_with_model_draws_the_checkpoints_frames(gop_clip, tmp_path):
    """The tiny PLLaVA samples 4 frames (its config), the released PLLaVA 16."""
    model = tmp_path / 'tiny'
    run(['swift-video', 'tiny-model', 'pllava', str(model)])
    assert json.loads((model / 'config.json').read_text())['num_frames'] == 4
    result = run(['swift-video', 'sheet', str(gop_clip), '--model-type', 'pllava', '--model', str(model), '-o',
                  str(tmp_path / 'sheet.png')])
    assert '4 frames' in result.stdout
    _one_line_error(run(['swift-video', 'sheet', str(gop_clip), '--model-type', 'pllava', '--model',
                         str(tmp_path), '-o', str(tmp_path / 'x.png')], check=False), 'no config.json')
