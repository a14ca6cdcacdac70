"""Each model package is declared once (its ``spec.py``) and every registry follows ``MODEL_SPECS``: ms-swift's model
and template mappings, the no-remote-code probe guard, transformers' Auto classes, sampling profiles, tiny and
stand-in builders, vLLM's architectures and configs, and the CLI."""

from __future__ import annotations

import importlib
import importlib.resources
import importlib.util
import json

import pytest

import swift_video_ext.models as models
from swift_video_ext.models.spec import load
from tests.cli.test_imports import heavy_modules_after

SPECS = {spec.name: spec for spec in models.MODEL_SPECS}


@pytest.fixture(scope='module')
def registered():
    from swift_video_ext.registration import register_all

    register_all()


def write_config(folder, **config):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'config.json').write_text(json.dumps(config))
    return folder


def auto_registered(spec) -> dict:
    """What transformers' Auto registries hold for the spec's config class."""
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING

    config_class = load(spec.auto.config)
    return {'configs': {t: CONFIG_MAPPING[t] for t in spec.auto.configs()},
            'models': {a: getattr(transformers, a)._model_mapping[config_class] for a in spec.auto.auto_models},
            'processor': PROCESSOR_MAPPING[config_class]}


def test_specs_and_the_models_package_import_nothing_heavy():
    imports = 'import swift_video_ext.models\n' + ''.join(f'import swift_video_ext.models.{name}.spec\n'
                                                          for name in SPECS)
    assert heavy_modules_after(imports) == ['swift_video_ext.models']


def test_one_spec_per_package_with_unique_names():
    packages = {p.name for p in importlib.resources.files('swift_video_ext.models').iterdir()
                if p.is_dir() and (p / 'spec.py').is_file()}
    assert packages == set(SPECS)
    for name, spec in SPECS.items():
        assert importlib.import_module(f'swift_video_ext.models.{name}').SPEC is spec
    for field in ('model_type', 'name'):
        values = [getattr(spec, field) for spec in SPECS.values()]
        assert len(values) == len(set(values)), field
    templates = [t for spec in SPECS.values() for t in spec.templates]
    assert len(templates) == len(set(templates))


@pytest.mark.parametrize('name', sorted(SPECS))
def test_spec_agrees_with_ms_swift(name, registered):
    from swift.model import MODEL_MAPPING
    from swift.template import TEMPLATE_MAPPING

    spec = SPECS[name]
    template_module = importlib.import_module(f'swift_video_ext.models.{name}.template')
    assert sorted(meta.template_type for meta in template_module.template_metas()) == sorted(spec.templates)
    assert set(spec.templates) <= set(TEMPLATE_MAPPING)
    meta = MODEL_MAPPING[spec.model_type]
    if spec.auto is not None:  # one of our own model types
        assert meta.template in spec.templates and spec.vllm.architecture in meta.architectures


@pytest.mark.parametrize('name', sorted(SPECS))
def test_spec_probe_guard(name, registered, tmp_path):
    from swift_video_ext.common.remote_code import is_guarded

    spec = SPECS[name]
    assert is_guarded(write_config(tmp_path / 'typed'), spec.model_type) == spec.guard_probe
    for arch in spec.guard_architectures:
        assert is_guarded(write_config(tmp_path / arch, architectures=[arch]), None)
    assert not is_guarded(write_config(tmp_path / 'llama', architectures=['LlamaForCausalLM']), None)


@pytest.mark.parametrize('name', sorted(SPECS))
def test_spec_sampling_is_the_models(name):
    spec = SPECS[name]
    profiles = models.sampling_profiles()
    assert all(profiles[key] is sampling for key, sampling in spec.sampling.items())
    assert importlib.import_module(f'swift_video_ext.models.{name}').VIDEO_SAMPLING is spec.sampling[spec.model_type]


@pytest.mark.parametrize('name', sorted(SPECS))
def test_spec_builders_and_auto_classes(name, registered, tmp_path):
    from transformers import AutoConfig

    spec = SPECS[name]
    for target in (spec.tiny, spec.standin, spec.full_size):
        assert callable(load(target))
    path = models.tiny_builders()[spec.model_type](tmp_path / name)
    config = AutoConfig.from_pretrained(path, trust_remote_code=False)
    if spec.auto is None:
        return
    assert type(config) is load(spec.auto.config) and config.model_type == spec.auto.model_type
    assert auto_registered(spec) == {'configs': {t: load(c) for t, c in spec.auto.configs().items()},
                                     'models': dict.fromkeys(spec.auto.auto_models, load(spec.auto.model)),
                                     'processor': load(spec.auto.processor)}


@pytest.mark.parametrize('name', sorted(SPECS))
def test_spec_vllm_classes(name, registered):
    """vLLM gets every served model's architecture, and reads its config with the very class transformers has."""
    import swift_video_ext.vllm as vllm_plugin

    spec = SPECS[name]
    if spec.vllm is None:
        assert spec.auto is None or spec.auto.model_type not in vllm_plugin.configs()
        return
    assert vllm_plugin.architectures()[spec.vllm.architecture] == spec.vllm.model
    assert importlib.util.find_spec(spec.vllm.model.partition(':')[0]) is not None
    assert {t: vllm_plugin.configs()[t] for t in spec.auto.configs()} == spec.auto.configs()
    assert auto_registered(spec)['configs'] == {t: load(c) for t, c in spec.auto.configs().items()}


def test_cogvlm2_video_config_has_vllms_mrope_field():
    """One config class for transformers and vLLM: it carries the M-RoPE split vLLM needs (a split of the whole
    rotary half-dimension)."""
    config = load(SPECS['cogvlm2_video'].auto.config)(hidden_size=64, num_attention_heads=2, num_multi_query_heads=2)
    assert sum(config.mrope_section) == config.head_dim // 2 == 16


def test_the_special_cases_the_specs_declare():
    """What ``plan``/``cache`` and ``sheet --model`` used to special-case by name, now declared by the specs."""
    options = SPECS['minigpt4_video'].standin_options
    assert options('minigpt4_video_mistral_eval') == {'family': 'mistral'}
    assert options('minigpt4_video_llama2') == options(None) == {}
    assert SPECS['gemma4'].video_template == 'gemma4_frames_nothinking'
    assert [spec.video_template for spec in SPECS.values() if spec.name != 'gemma4'] == [None] * 3


@pytest.fixture
def fake_spec(monkeypatch):
    """``MODEL_SPECS`` with one more, made-up model; its traces in transformers and the probe guard are removed
    afterwards."""
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING

    from swift_video_ext.common import remote_code
    from tests.models import fake_model

    monkeypatch.setattr(models, 'MODEL_SPECS', (*models.MODEL_SPECS, fake_model.SPEC))
    fake_model.CALLS.clear()
    yield fake_model
    CONFIG_MAPPING._extra_content.pop('svx_fake', None)
    PROCESSOR_MAPPING._extra_content.pop(fake_model.FakeConfig, None)
    for auto in fake_model.SPEC.auto.auto_models:
        getattr(transformers, auto)._model_mapping._extra_content.pop(fake_model.FakeConfig, None)
    remote_code._guarded_model_types.discard('svx_fake')
    remote_code._native_architectures.discard('SvxFakeForCausalLM')


def test_a_new_spec_reaches_every_registry(fake_spec, registered, tmp_path, monkeypatch, capsys):
    from swift_video_ext.cli import main as cli
    from swift_video_ext.common.remote_code import is_guarded
    from swift_video_ext.registration import register_models
    from swift_video_ext.tools import loading
    from swift_video_ext.vllm import architectures, configs

    spec = fake_spec.SPEC
    register_models()  # ms-swift: its register function; the probe guard; the Auto classes
    assert ('register',) in fake_spec.CALLS
    assert is_guarded(write_config(tmp_path / 'typed'), 'svx_fake')
    assert is_guarded(write_config(tmp_path / 'arch', architectures=['SvxFakeForCausalLM']), None)
    assert auto_registered(spec) == {'configs': {'svx_fake': fake_spec.FakeConfig},
                                     'models': dict.fromkeys(spec.auto.auto_models, fake_spec.FakeModel),
                                     'processor': fake_spec.FakeProcessor}
    assert models.sampling_profiles()['svx_fake'] is spec.sampling['svx_fake']
    assert models.spec_for('svx_fake') is spec
    assert architectures()['SvxFakeForCausalLM'] == spec.vllm.model and configs()['svx_fake'] == spec.auto.config

    assert cli.main(['tiny-model', 'svx_fake', str(tmp_path / 'tiny')]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / 'tiny')
    loading._write_standin('svx_fake', 'svx_fake_big', tmp_path)
    assert fake_spec.CALLS[-2:] == [('build', 'tiny', {}), ('build', 'standin_svx_fake', {'size': 'big'})]

    asked = []
    monkeypatch.setattr(loading, 'load_template', lambda model_type, **kw: asked.append(kw['template_type']))
    with pytest.raises(AttributeError):  # the stand-in load_template returns nothing
        cli._checkpoint_sampling('svx_fake', str(write_config(tmp_path / 'ckpt')), None)
    assert asked == ['svx_fake_template']
