"""No code from a model folder runs for our model types, whatever its config.json / tokenizer / processor files say.

Each folder gets an ``auto_map`` pointing at Python files that would leave a marker file (and raise) if imported:
through ms-swift's model-info probe, our loaders, the tokenizer or the processor.
"""

import json
from pathlib import Path

import pytest
import torch

MARKER = 'REMOTE_CODE_WAS_EXECUTED'


def plant_remote_code(model_dir: Path, config_updates: dict) -> Path:
    """Add malicious ``auto_map`` entries (config, model, tokenizer, processor) and the modules they name."""
    bomb = f"open({str(model_dir / MARKER)!r}, 'w').write('executed')\nraise RuntimeError('remote code ran')\n"
    for module in ('configuration_x', 'modeling_x', 'tokenization_x', 'processing_x'):
        (model_dir / f'{module}.py').write_text(bomb)
    config = json.loads((model_dir / 'config.json').read_text())
    config.update(config_updates)
    config['auto_map'] = {'AutoConfig': 'configuration_x.XConfig', 'AutoModelForCausalLM': 'modeling_x.XModel',
                          'AutoModelForImageTextToText': 'modeling_x.XModel',
                          'AutoProcessor': 'processing_x.XProcessor'}
    (model_dir / 'config.json').write_text(json.dumps(config))
    for name, key in (('tokenizer_config.json', 'AutoTokenizer'), ('preprocessor_config.json', 'AutoImageProcessor'),
                      ('processor_config.json', 'AutoProcessor')):
        path = model_dir / name
        if path.is_file():
            data = json.loads(path.read_text())
            data['auto_map'] = {key: ['tokenization_x.XTokenizer', None] if key == 'AutoTokenizer'
                                else 'processing_x.XProcessor'}
            path.write_text(json.dumps(data))
    return model_dir


def released_pllava_layout(tmp_path: Path) -> Path:
    """A tiny PLLaVA saved as the released repos describe themselves: ``model_type: llava``."""
    from swift_video_ext.models.pllava.tiny import build_tiny

    model_dir = build_tiny(tmp_path / 'pllava-7b')
    return plant_remote_code(model_dir, {'model_type': 'llava', 'architectures': ['LlavaForConditionalGeneration']})


def cogvlm_layout(tmp_path: Path) -> Path:
    from swift_video_ext.models.cogvlm2_video.tiny import build_tiny

    model_dir = build_tiny(tmp_path / 'cogvlm2-video')
    config = json.loads((model_dir / 'config.json').read_text())
    config.pop('model_type', None)
    config['vision_config'].pop('model_type', None)
    (model_dir / 'config.json').write_text(json.dumps(config))
    return plant_remote_code(model_dir, {'architectures': ['CogVLMForCausalLM']})


def minigpt4_layout(tmp_path: Path) -> Path:
    from swift_video_ext.models.minigpt4_video.tiny import build_tiny

    return plant_remote_code(build_tiny(tmp_path / 'minigpt4'), {})


@pytest.mark.parametrize('layout,model_type', [(released_pllava_layout, 'pllava'),
                                                (cogvlm_layout, 'cogvlm2_video_ts'),
                                                (minigpt4_layout, 'minigpt4_video')])
def test_loading_never_imports_the_folders_code(tmp_path, layout, model_type):
    from swift.model import get_model_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401

    model_dir = layout(tmp_path)
    model, processor = get_model_processor(str(model_dir), model_type=model_type, torch_dtype=torch.float32)
    get_template(processor)
    assert not (model_dir / MARKER).exists()
    assert type(model).__module__.startswith('swift_video_ext.')


def test_gemma4_folder_with_an_auto_map_loads_natively(tmp_path):
    """ms-swift's own gemma4 type trusts remote code by default (the folder's configuration_x.py ran, before);
    our plugin loads it with transformers' Gemma-4 classes and never imports the folder's files."""
    from swift.model import get_model_processor

    import swift_video_ext.plugin  # noqa: F401
    from swift_video_ext.models.gemma4.tiny import build_tiny

    model_dir = plant_remote_code(build_tiny(tmp_path / 'gemma4'), {})
    model, processor = get_model_processor(str(model_dir), model_type='gemma4', torch_dtype=torch.float32)
    assert not (model_dir / MARKER).exists()
    assert type(model).__name__ == 'Gemma4ForConditionalGeneration'
    assert type(model).__module__.startswith('transformers.models.gemma4.')


def test_swift_infer_on_a_released_pllava_folder_runs_no_repository_code(tmp_path):
    """The path users run: `swift infer --model DIR --model_type pllava` on a folder with a malicious auto_map."""
    from tests.helpers import command_env, run, write_jsonl

    model_dir = released_pllava_layout(tmp_path)
    rows = write_jsonl(tmp_path / 'rows.jsonl', [{'messages': [{'role': 'user', 'content': 'Hello?'},
                                                              {'role': 'assistant', 'content': 'x'}]}])
    run(['swift', 'infer', '--model', str(model_dir), '--model_type', 'pllava', '--val_dataset', str(rows),
         '--max_new_tokens', '2', '--temperature', '0', '--torch_dtype', 'float32',
         '--result_path', str(tmp_path / 'out.jsonl')], env=command_env(), timeout=600)
    assert not (model_dir / MARKER).exists()


OFFICIAL_COGVLM_CONFIG = (Path(__file__).parents[1] / 'models' / 'cogvlm2_video' / 'known_answers' / 'official_generate'
                          / 'config.json')  # written by the official CogVLM2-Video code


def official_cogvlm_folder(model_dir: Path, architecture: str) -> Path:
    """A folder laid out as the released CogVLM2-Video repos are: config.json without ``model_type``, an ``auto_map``
    to ``configuration_cogvlm.py`` / ``modeling_cogvlm.py`` (here: files that leave a marker and raise), no
    args.json."""
    model_dir.mkdir(parents=True)
    config = json.loads(OFFICIAL_COGVLM_CONFIG.read_text())
    config.update(architectures=[architecture],
                  auto_map={'AutoConfig': 'configuration_cogvlm.CogVLMConfig',
                            'AutoModelForCausalLM': 'modeling_cogvlm.CogVLMVideoForCausalLM'})
    (model_dir / 'config.json').write_text(json.dumps(config))
    bomb = f"open({str(model_dir / MARKER)!r}, 'w').write('executed')\nraise RuntimeError('remote code ran')\n"
    for module in ('configuration_cogvlm', 'modeling_cogvlm'):
        (model_dir / f'{module}.py').write_text(bomb)
    return model_dir


@pytest.mark.parametrize('architecture', ['CogVLMVideoForCausalLM', 'CogVLM2VideoForCausalLM'])
def test_probe_without_a_model_type_never_imports_the_folders_code(tmp_path, architecture):
    """No ``--model_type`` and no args.json: the folder's architecture alone keeps ms-swift's model probe (which
    trusts remote code) from importing its configuration_*.py."""
    from swift.model import model_meta

    import swift_video_ext.plugin  # noqa: F401

    model_dir = official_cogvlm_folder(tmp_path / 'checkpoint', architecture)
    assert not (model_dir / 'args.json').exists()
    info = model_meta._get_model_info(str(model_dir), None, quantization_config=None)
    assert not (model_dir / MARKER).exists()
    assert info.max_model_len == 256  # the probe still read config.json (as a plain dict)


def test_guard_by_architecture_alone(tmp_path):
    """Each of the two architecture checks on its own: the probe's ``is_guarded`` (no model type given, no args.json)
    and the ``AutoConfig`` stand-in ms-swift's probe module sees, even when called outside the probe."""
    from swift.model import model_meta

    import swift_video_ext.plugin  # noqa: F401
    from swift_video_ext.common.remote_code import is_guarded

    official = official_cogvlm_folder(tmp_path / 'official', 'CogVLMVideoForCausalLM')
    other = official_cogvlm_folder(tmp_path / 'other', 'SomeoneElsesForCausalLM')
    assert is_guarded(official, None) and not is_guarded(other, None)
    with pytest.raises(Exception) as error:  # nothing trusted: transformers cannot build a config without model_type
        model_meta.AutoConfig.from_pretrained(str(official), trust_remote_code=True)
    assert not (official / MARKER).exists() and 'remote code ran' not in str(error.value)
