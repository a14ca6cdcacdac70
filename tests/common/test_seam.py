"""The seam (:mod:`swift_video_ext.common.seam`): every declared patch's targets match the installed ms-swift, and a
patch whose target changed (or an ms-swift outside its versions) is refused — one warning, ms-swift left as it is."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from swift_video_ext.common import seam


@pytest.fixture(scope='module', autouse=True)
def registered():
    import swift_video_ext.plugin  # noqa: F401  (the patches are in place, as in any ms-swift process)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(seam, '_warned', set())


def installed(module: str) -> bool:
    return importlib.util.find_spec(module.split('.')[0]) is not None


def skip_without_modules(patch: seam.Patch) -> None:
    for target in patch.targets:
        if not installed(target.module):
            pytest.skip(f'{target.module.split(".")[0]} not installed')


def warnings_for(patch: seam.Patch, stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if f"ms-swift patch '{patch.name}' not applied" in line]


@pytest.mark.parametrize('patch', seam.PATCHES, ids=lambda p: p.name)
def test_every_declared_target_matches_the_installed_ms_swift(patch):
    """Fails on an ms-swift release that renames, removes or re-signs a target: the patch must then be re-checked
    against that release (and its version range widened) or dropped."""
    skip_without_modules(patch)
    assert patch.problem() is None


@pytest.mark.parametrize('patch', seam.PATCHES, ids=lambda p: p.name)
def test_every_patch_says_why_and_who_installs_it(patch):
    module, _, function = patch.installed_by.partition(':')
    if not installed(module):
        pytest.skip(module)
    assert callable(getattr(importlib.import_module(module), function))
    assert len(patch.why) > 40


# ------------------------------------------------------------------ per patch: a changed target is refused

def _installer(patch: seam.Patch):
    """The package's own code that installs ``patch``."""
    module, _, function = patch.installed_by.partition(':')
    install = getattr(importlib.import_module(module), function)
    if patch is seam.GEMMA4_TEMPLATES:
        from swift_video_ext.models.gemma4.register import route_videos_through_video_core

        return route_videos_through_video_core  # register() applies it only where torchcodec is missing
    return install


def _replaced_state(patch: seam.Patch, monkeypatch):
    """Put ms-swift's own object back where ``patch`` replaces one; returns a function reading what is there now."""
    if patch is seam.GEMMA4_LOADER:
        from swift.model import MODEL_MAPPING

        meta = MODEL_MAPPING['gemma4']
        monkeypatch.setattr(meta, 'loader', seam.original(meta.loader))
        return lambda: meta.loader
    if patch is seam.GEMMA4_TEMPLATES:
        from swift.template import TEMPLATE_MAPPING
        from swift.template.templates.gemma import Gemma4Template

        metas = [TEMPLATE_MAPPING[name] for name in ('gemma4', 'gemma4_nothinking')]
        for meta in metas:
            monkeypatch.setattr(meta, 'template_cls', Gemma4Template)
        return lambda: [meta.template_cls for meta in metas]
    if patch is seam.PROCESS_GROUP_AT_EXIT:
        import atexit

        registered = []
        monkeypatch.setattr(atexit, 'register', registered.append)
        monkeypatch.setattr(seam, '_at_exit', set())
        return lambda: list(registered)
    for target in patch.targets[:1] if patch is not seam.MODEL_INFO_PROBE else patch.targets:
        owner, name = target.owner_and_name()
        stock = seam.original(getattr(owner, name))
        if isinstance(owner, type) and isinstance(owner.__dict__.get(name), staticmethod):
            stock = staticmethod(stock)
        monkeypatch.setattr(owner, name, stock)
    return lambda: [getattr(*t.owner_and_name()) for t in patch.targets]


def _change(target: seam.Target, monkeypatch) -> None:
    """Give ``target`` another signature (or remove it, when only its presence is declared)."""
    owner, name = target.owner_and_name()
    if target.parameters is None:
        monkeypatch.delattr(owner, name)
        return

    def changed(renamed=None, *args, **kwargs):
        return None

    if target.member:
        monkeypatch.setattr(owner, name, type('Changed', (), {target.member: staticmethod(changed)}))
    else:
        monkeypatch.setattr(owner, name, changed)


CASES = [(patch, index) for patch in seam.PATCHES for index in range(len(patch.targets))]


@pytest.mark.parametrize(('patch', 'index'), CASES, ids=[f'{p.name}-{p.targets[i].attribute}' for p, i in CASES])
def test_a_patch_whose_target_changed_is_refused_with_one_warning(patch, index, monkeypatch, capsys):
    skip_without_modules(patch)
    install = _installer(patch)
    state = _replaced_state(patch, monkeypatch)
    _change(patch.targets[index], monkeypatch)
    before = state()
    install()
    install()  # the same refusal twice: still one warning
    assert state() == before  # nothing patched
    warned = warnings_for(patch, capsys.readouterr().err)
    assert len(warned) == 1, warned
    assert patch.targets[index].path in warned[0]


@pytest.mark.parametrize('patch', seam.PATCHES, ids=lambda p: p.name)
def test_an_ms_swift_outside_the_declared_versions_is_left_alone(patch, monkeypatch, capsys):
    skip_without_modules(patch)
    install = _installer(patch)
    state = _replaced_state(patch, monkeypatch)
    before = state()
    monkeypatch.setattr(seam, 'ms_swift_version', lambda: '4.7.0')
    install()
    assert state() == before
    warned = warnings_for(patch, capsys.readouterr().err)
    assert len(warned) == 1 and 'ms-swift 4.7.0 is outside' in warned[0], warned


def test_the_patches_are_in_place_on_the_installed_ms_swift(monkeypatch):
    """The same installers apply every patch when the targets match (what the refusals above are measured against).
    """
    for patch in seam.PATCHES:
        if patch in (seam.EVALSCOPE_SERVICE, seam.GEMMA4_TEMPLATES, seam.PROCESS_GROUP_AT_EXIT):
            continue  # evalscope-only / torchcodec-dependent / nothing to read back: covered on their own
        state = _replaced_state(patch, monkeypatch)
        before = state()
        _installer(patch)()
        after = state()
        assert after != before, patch.name
        first = after if patch is seam.GEMMA4_LOADER else after[0]
        assert seam.is_patched(first), patch.name


def test_the_gemma4_templates_are_rerouted_only_through_the_seam(monkeypatch):
    from swift_video_ext.models.gemma4.template import Gemma4FramesTemplate

    state = _replaced_state(seam.GEMMA4_TEMPLATES, monkeypatch)
    assert _installer(seam.GEMMA4_TEMPLATES)() == ['gemma4', 'gemma4_nothinking']
    assert state() == [Gemma4FramesTemplate, Gemma4FramesTemplate]


def test_the_exit_hook_is_registered_once(monkeypatch):
    from swift_video_ext.common.process_group import close_process_group

    state = _replaced_state(seam.PROCESS_GROUP_AT_EXIT, monkeypatch)
    _installer(seam.PROCESS_GROUP_AT_EXIT)()
    _installer(seam.PROCESS_GROUP_AT_EXIT)()
    assert state() == [close_process_group]


def test_infer_needs_the_engines_to_still_read_strict(monkeypatch, capsys):
    """The undocumented ``strict`` attribute is what the infer patch relies on: an engine that stops reading it
    refuses the patch even with an unchanged signature."""
    from swift.infer_engine.infer_engine import InferEngine

    def _batch_infer_stream(self, tasks, stream=True, use_tqdm=True, metrics=None):
        return []

    state = _replaced_state(seam.INFER_KEEP_GOING, monkeypatch)
    monkeypatch.setattr(InferEngine, '_batch_infer_stream', _batch_infer_stream)
    before = state()
    _installer(seam.INFER_KEEP_GOING)()
    assert state() == before
    warned = warnings_for(seam.INFER_KEEP_GOING, capsys.readouterr().err)
    assert len(warned) == 1 and 'no longer uses strict' in warned[0], warned


def test_a_wrapper_that_fails_leaves_ms_swift_untouched(monkeypatch, capsys):
    state = _replaced_state(seam.SFT_TRAIN, monkeypatch)
    before = state()

    def broken(original):
        raise RuntimeError('boom')

    assert seam.apply(seam.SFT_TRAIN, broken) is False
    assert state() == before
    assert 'boom' in warnings_for(seam.SFT_TRAIN, capsys.readouterr().err)[0]


def test_a_patch_deferred_past_a_module_mid_import_is_applied_when_a_template_sets_its_mode(monkeypatch):
    """The import hook misses a module that was mid-import when the patch was installed; apply_pending (called by
    our templates' set_mode) catches up."""
    from swift_video_ext.hooks.train_check import _wrap_train

    state = _replaced_state(seam.SFT_TRAIN, monkeypatch)
    monkeypatch.setattr(seam, '_pending', {})
    monkeypatch.setattr(seam, 'when_imported', lambda module, callback: None)  # the hook never fires
    seam.install(seam.SFT_TRAIN, _wrap_train)
    assert not seam.is_patched(state()[0])
    seam.apply_pending()
    assert seam.is_patched(state()[0]) and seam._pending == {}
