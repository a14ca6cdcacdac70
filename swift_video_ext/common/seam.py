"""The seam: every change swift-video-ext makes to ms-swift's own objects, declared and checked in one place.

The plugin extends ms-swift through its public registries (``register_model``, ``register_template``,
``register_dataset``) wherever they serve. The changes below have no public extension point; each is a
:class:`Patch` naming its targets (module + attribute), the ms-swift releases it was written against, the parameters
each target must have and the names its code must still use, why no public extension point serves, and the
function that installs it. Before a patch is applied, every target is checked (:meth:`Patch.problem`): when the
ms-swift version is outside the range, a target is missing, or its signature differs, the patch is **not** applied —
ms-swift keeps its own behaviour — and one warning names the patch and what is off. A patch never raises into
ms-swift's import: it is installed from the import hook (:func:`swift_video_ext_autoload.when_imported`, whose
callbacks are guarded), and :func:`apply` catches what the check cannot foresee.

What each patch *does* lives in its own module (the wrapper factories passed to :func:`install`); only this module
reads or writes ms-swift's private attributes. ``tests/common/test_seam.py`` checks every declared target against the
installed ms-swift (the test that fails on the next ms-swift release) and, per patch, that a changed target is
refused.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any

from swift_video_ext_autoload import is_initialising

from ..logging_utils import get_logger
from .post_import import when_imported

MS_SWIFT_4_6 = '>=4.6.0,<4.7'  # the ms-swift releases the patches below were written against (4.6.x)
_MARK = '__swift_video_ext_patch__'  # on every object the seam puts in place: (patch name, the object it replaced)

Wrapper = Callable[[Any], Any]  # the original object → what takes its place


@dataclass(frozen=True)
class Target:
    """One ms-swift object a patch replaces or relies on: ``module`` + dotted ``attribute``.

    ``parameters``: the parameter names its signature must have (``None``: not checked); ``member``: check the
    signature of this attribute of the target instead (e.g. ``from_pretrained`` of a class); ``uses``: names its code
    must still refer to (what the patch relies on, e.g. an undocumented attribute it reads).
    """

    module: str
    attribute: str
    parameters: tuple[str, ...] | None = None
    member: str = ''
    uses: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f'{self.module}.{self.attribute}'

    def owner_and_name(self) -> tuple[Any, str]:
        """The object holding the target, and the target's attribute name on it (imports ``module``)."""
        owner: Any = importlib.import_module(self.module)
        *parents, name = self.attribute.split('.')
        for parent in parents:
            owner = getattr(owner, parent)
        return owner, name

    def resolve(self) -> Any:
        """ms-swift's own object (under any patch of ours); AttributeError / ImportError when missing."""
        owner, name = self.owner_and_name()
        return original(getattr(owner, name))

    def problem(self) -> str | None:
        """What is off with this target on the installed ms-swift, or None."""
        try:
            target = self.resolve()
        except ImportError as error:
            return f'{self.module} cannot be imported ({error})'
        except AttributeError:
            return f'{self.path} is missing'
        if self.member:
            target = getattr(target, self.member, None)
            if target is None:
                return f'{self.path}.{self.member} is missing'
        if self.parameters is not None:
            try:
                found = tuple(inspect.signature(target).parameters)
            except (TypeError, ValueError):
                return f'{self.path} has no signature (expected parameters {self.parameters})'
            if found != self.parameters:
                return f'{self.path} takes {found}, expected {self.parameters}'
        missing = [name for name in self.uses if name not in _names_used(target)]
        if missing:
            return f'{self.path} no longer uses {", ".join(missing)}'
        return None


@dataclass(frozen=True)
class Patch:
    """A declared change to ms-swift; see the module docstring."""

    name: str
    targets: tuple[Target, ...]  # the first is the one replaced, when the patch replaces an attribute
    why: str  # why no public extension point of ms-swift serves
    installed_by: str  # 'module:function' that installs it
    versions: str = MS_SWIFT_4_6

    def problem(self) -> str | None:
        """Why this patch must not be applied on the installed ms-swift, or None."""
        version = ms_swift_version()
        if not _version_in(version, self.versions):
            return f'ms-swift {version} is outside the versions it was written for ({self.versions})'
        for target in self.targets:
            problem = target.problem()
            if problem:
                return problem
        return None


def ms_swift_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version('ms-swift')
    except PackageNotFoundError:
        return getattr(sys.modules.get('swift'), '__version__', '0')


def _version_in(version: str, specifier: str) -> bool:
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion

    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidVersion:
        return False


def _names_used(obj: Any) -> set[str]:
    """Global, attribute and string-constant names in ``obj``'s code (and its nested functions)."""
    code = getattr(inspect.unwrap(obj), '__code__', None) if callable(obj) else None
    names: set[str] = set()
    stack: list[CodeType] = [code] if code is not None else []
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        for const in code.co_consts:
            if isinstance(const, str):
                names.add(const)
            elif isinstance(const, CodeType):
                stack.append(const)
    return names


def _mark_of(obj: Any) -> tuple[str, Any] | None:
    if isinstance(obj, type):  # a class's own mark, not one inherited from a base
        return vars(obj).get(_MARK)
    return getattr(obj, _MARK, None)


def original(obj: Any) -> Any:
    """The object a seam patch replaced (``obj`` itself when it is not one of ours)."""
    while (mark := _mark_of(obj)) is not None:
        obj = mark[1]
    return obj


def is_patched(obj: Any) -> bool:
    """True when ``obj`` is an object the seam put in place."""
    return _mark_of(obj) is not None


# ---------------------------------------------------------------------------------------------------- the patches

_SFT = 'swift.pipelines.train.sft'
_WHY_SFT = ('ms-swift runs no callback between loading and encoding the dataset, nor around a failed encode: '
            'trainer callbacks (--callbacks / callbacks_map) start after the dataset is encoded, and '
            '--external_plugins only imports a file')

SFT_ENCODE_DATASET = Patch(
    'sft-token-budget-check',
    (Target(_SFT, 'SwiftSft._encode_dataset', ('self', 'train_dataset', 'val_dataset', 'pre_process')),),
    why=_WHY_SFT + '; the check must see the loaded rows before ms-swift encodes (and drops) them',
    installed_by='swift_video_ext.hooks.train_check:install')
SFT_PREPARE_DATASET = Patch(
    'sft-no-usable-rows-message',
    (Target(_SFT, 'SwiftSft._prepare_dataset', ('self',), uses=('_encode_dataset',)),),
    why=_WHY_SFT + '; ms-swift raises "increase max_length" here when every row failed, which our account replaces',
    installed_by='swift_video_ext.hooks.train_check:install')
SFT_TRAIN = Patch(
    'sft-skip-summary',
    (Target(_SFT, 'SwiftSft.train', ('self', 'trainer')),),
    why='the summary is written also when training fails (a callback sees no exception), and the lazily encoded '
        'dataset\'s "no row could be retrieved" error is raised inside trainer.train, where no callback can '
        'replace it',
    installed_by='swift_video_ext.hooks.train_check:install')
INFER_KEEP_GOING = Patch(
    'infer-keep-going-past-bad-rows',
    (Target('swift.pipelines.infer.infer', 'SwiftInfer._batch_infer', ('self', 'val_dataset', 'request_config'),
            uses=('infer',)),
     Target('swift.pipelines.infer.infer', 'SwiftInfer.__getattr__', ('self', 'key'), uses=('infer_engine',)),
     Target('swift.infer_engine.infer_engine', 'InferEngine._batch_infer_stream',
            ('self', 'tasks', 'stream', 'use_tqdm', 'metrics'), uses=('strict',)),
     Target('swift.infer_engine.transformers_engine', 'TransformersEngine._infer',
            ('self', 'infer_requests', 'request_config', 'adapter_request', 'pre_infer_hook'), uses=('strict',))),
    why='ms-swift has no option for `swift infer` to go on past a row it cannot encode: its engines can '
        '(the undocumented `strict` attribute), but SwiftInfer._batch_infer then reads the failure as a response; '
        'its self.infer reaches the engine (SwiftInfer.__getattr__), whose infer is swapped while it runs',
    installed_by='swift_video_ext.hooks.infer_check:install')
MODEL_INFO_PROBE = Patch(
    'no-remote-code-in-model-probe',
    (Target('swift.model.model_meta', 'AutoConfig', member='from_pretrained',
            parameters=('pretrained_model_name_or_path', 'kwargs')),
     Target('swift.model.model_meta', '_get_model_info', ('model_dir', 'model_type', 'quantization_config'),
            uses=('AutoConfig', 'from_pretrained'))),
    why="ms-swift's model-info probe loads the config with remote code trusted before any loader "
        '(where register_model could say otherwise) runs; no argument or hook turns that off',
    installed_by='swift_video_ext.common.remote_code:install_probe_guard')
PADDING_FREE = Patch(
    'padding-free-without-flash-attn',
    (Target('swift.arguments.sft_args', 'SftArguments._check_padding_free', ('self',)),),
    why='the flash-attention requirement is a hard-coded check in SftArguments.__post_init__; a model type '
        'cannot declare that it keeps packed samples apart by itself',
    installed_by='swift_video_ext.common.padding_free:install')
EXACT_STREAM = Patch(
    'exact-streamed-text',
    (Target('swift.infer_engine.utils', 'InferStreamer.get_printable_text', ('self', 'raw_tokens', 'is_finished')),
     Target('swift.infer_engine.utils', 'InferStreamer._is_chinese_char', ('cp',))),
    why='every inference backend builds InferStreamer itself; a template has no say in how streamed text is cut',
    installed_by='swift_video_ext.common.stream:install')
EVAL_DATASETS = Patch(
    'eval-benchmark-list',
    (Target('swift.arguments.eval_args', 'EvalArguments.list_eval_dataset', ('eval_backend',)),),
    why='`swift eval` validates --eval_dataset against this static list (which also requires OpenCompass); '
        'evalscope benchmarks registered by a plugin are not in it',
    installed_by='swift_video_ext.eval.evalscope_benchmarks:install')
EVALSCOPE_SERVICE = Patch(
    'evalscope-eval-type-service',
    (Target('swift.pipelines.eval.eval', 'SwiftEval.get_native_task_cfg', ('self', 'dataset', 'url'),
            uses=('SERVICE',)),
     Target('evalscope.constants', 'EvalType.OPENAI_API')),
    why='ms-swift 4.6 passes EvalType.SERVICE, which evalscope >= 1.11 renamed OPENAI_API (same value); the alias '
        'is the only way to run its Native backend with current evalscope',
    installed_by='swift_video_ext.eval.evalscope_benchmarks:register')
GEMMA4_LOADER = Patch(
    'gemma4-loader-override',
    (Target('swift.model.models.gemma', 'Gemma4Loader.get_model',
            ('self', 'model_dir', 'config', 'processor', 'model_kwargs'), uses=('_patch_gemma4_forward',)),
     Target('swift.model.models.gemma', '_patch_gemma4_forward', ('model', 'processor', 'is_gemma4_unified'),
            uses=('origin_forward',)),
     Target('swift.model.register', 'ModelLoader.default_trust_remote_code')),
    why="ms-swift's own gemma4 loader replaces transformers' forward with a copy of 5.6's that breaks image and "
        'video batches on transformers 5.19; register_model(exist_ok=True) would replace the whole stock entry '
        '(its groups, architectures and template), where only the loader needs the fix',
    installed_by='swift_video_ext.models.gemma4.register:register')
GEMMA4_TEMPLATES = Patch(
    'gemma4-templates-video-core',
    (Target('swift.template.templates.gemma', 'Gemma4Template._encode', ('self', 'inputs')),
     Target('swift.template.templates.gemma', 'Gemma4Template._data_collator_mm_data', ('self', 'batch'))),
    why="ms-swift's gemma4 / gemma4_nothinking templates need torchcodec for videos; without it, their video "
        'rows go through our video core (a subclass of Gemma4Template; images and text unchanged). '
        'register_template(exist_ok=True) would replace the stock meta, where only its class changes',
    installed_by='swift_video_ext.models.gemma4.register:register')
PROCESS_GROUP_AT_EXIT = Patch(
    'close-process-group-at-exit', (),
    why='ms-swift never calls destroy_process_group(), and no ms-swift hook runs at process end',
    installed_by='swift_video_ext.common.process_group:install')

PATCHES: tuple[Patch, ...] = (
    SFT_ENCODE_DATASET, SFT_PREPARE_DATASET, SFT_TRAIN, INFER_KEEP_GOING, MODEL_INFO_PROBE, PADDING_FREE,
    EXACT_STREAM, EVAL_DATASETS, EVALSCOPE_SERVICE, GEMMA4_LOADER, GEMMA4_TEMPLATES, PROCESS_GROUP_AT_EXIT)

# ---------------------------------------------------------------------------------------------------- installing

_warned: set[str] = set()
_pending: dict[str, tuple[Patch, Callable[[], None]]] = {}  # patch name → (patch, its deferred apply)
_at_exit: set[str] = set()  # patches whose exit function is registered


def refusal(patch: Patch) -> str | None:
    """Why ``patch`` is not applied (logged once per patch), or None when it may be."""
    try:
        problem = patch.problem()
    except Exception as error:  # noqa: BLE001 - a check that fails is a refusal, never an error in ms-swift
        problem = f'its check failed ({type(error).__name__}: {error})'
    if problem and patch.name not in _warned:
        _warned.add(patch.name)
        get_logger().warning(f'ms-swift patch {patch.name!r} not applied: {problem}. ms-swift keeps its own '
                             f'behaviour there (swift-video-ext was written against ms-swift {patch.versions}).')
    return problem


def _mark(obj: Any, patch: Patch, replaced: Any) -> Any:
    setattr(obj, _MARK, (patch.name, replaced))
    return obj


def _replace(patch: Patch, target: Target, wrapper: Wrapper) -> None:
    owner, name = target.owner_and_name()
    current = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name)
    if current is None:  # inherited: wrap what the class sees
        current = getattr(owner, name)
    if isinstance(current, staticmethod):
        if not is_patched(current.__func__):
            setattr(owner, name, staticmethod(_mark(wrapper(current.__func__), patch, current.__func__)))
    elif not is_patched(current):
        setattr(owner, name, _mark(wrapper(current), patch, current))


def apply(patch: Patch, wrappers: Wrapper | Mapping[str, Wrapper]) -> bool:
    """Check ``patch`` and, if it checks out, put ``wrapper(original)`` in place of its first target (or, given a
    mapping attribute → wrapper, of each of those targets, in order). Idempotent; True when the patch is in place."""
    if refusal(patch):
        return False
    if callable(wrappers):
        wrappers = {patch.targets[0].attribute: wrappers}
    by_attribute = {target.attribute: target for target in patch.targets}
    try:
        for attribute, wrapper in wrappers.items():
            _replace(patch, by_attribute[attribute], wrapper)
    except Exception as error:  # noqa: BLE001 - never break ms-swift's import
        if patch.name not in _warned:
            _warned.add(patch.name)
            get_logger().warning(f'ms-swift patch {patch.name!r} not applied: {type(error).__name__}: {error}')
        return False
    return True


def install(patch: Patch, wrappers: Wrapper | Mapping[str, Wrapper]) -> None:
    """:func:`apply` ``patch`` once its first target's module has finished importing (now, if it has)."""
    module = patch.targets[0].module

    def deferred(_module: ModuleType | None = None) -> None:
        _pending.pop(patch.name, None)
        apply(patch, wrappers)

    _pending[patch.name] = (patch, deferred)
    when_imported(module, deferred)


def apply_pending() -> None:
    """Apply the installed patches whose module has been imported since (the import hook misses a module that was
    mid-import when the patch was installed; templates call this when ms-swift sets their mode)."""
    for patch, deferred in list(_pending.values()):
        module = patch.targets[0].module
        if module in sys.modules and not is_initialising(module):
            deferred()


# ---------------------------------------------------------------------------------------------------- special cases

def at_exit(patch: Patch, function: Callable[[], None]) -> bool:
    """Register ``function`` to run at interpreter exit, once (``patch`` declares why)."""
    import atexit

    if refusal(patch):
        return False
    if patch.name not in _at_exit:
        atexit.register(function)
        _at_exit.add(patch.name)
    return True


@contextlib.contextmanager
def keep_going(engine: Any, infer: Callable) -> Iterator[None]:
    """While the block runs, ``engine.infer`` is ``infer`` (an instance attribute; the class's method afterwards).
    Part of :data:`INFER_KEEP_GOING`: use only where that patch is applied."""
    engine.infer = infer
    try:
        yield
    finally:
        del engine.infer


@contextlib.contextmanager
def non_strict(engine: Any) -> Iterator[None]:
    """ms-swift's engines return a failed row's exception in its place instead of raising it (undocumented
    ``strict = False``, see :data:`INFER_KEEP_GOING`)."""
    saved = getattr(engine, 'strict', True)
    engine.strict = False
    try:
        yield
    finally:
        engine.strict = saved


def override_stock_loader(patch: Patch, model_type: str, make_loader: Wrapper) -> bool:
    """``MODEL_MAPPING[model_type].loader`` becomes ``make_loader(stock loader)`` (once)."""
    from swift.model import MODEL_MAPPING

    meta = MODEL_MAPPING.get(model_type)
    if meta is None or refusal(patch):
        return False
    if not is_patched(meta.loader):
        stock = meta.loader
        meta.loader = _mark(make_loader(stock), patch, stock)
    return True


def native_forward(model: Any) -> Callable | None:
    """The forward ms-swift's gemma4 loader replaced on ``model`` (it keeps it as ``origin_forward``), or None."""
    return getattr(model, 'origin_forward', None)


def override_stock_templates(patch: Patch, names: tuple[str, ...], stock: type, replacement: type) -> list[str]:
    """The stock templates ``names`` whose class is ``stock`` use ``replacement`` instead; returns those changed."""
    from swift.template import TEMPLATE_MAPPING

    if refusal(patch):
        return []
    changed = []
    for name in names:
        meta = TEMPLATE_MAPPING.get(name)
        if meta is not None and meta.template_cls is stock:
            meta.template_cls = replacement
            changed.append(name)
    return changed


def alias_eval_type_service() -> bool:
    """``EvalType.SERVICE`` = ``EvalType.OPENAI_API`` where evalscope lacks it (:data:`EVALSCOPE_SERVICE`)."""
    from evalscope.constants import EvalType

    if hasattr(EvalType, 'SERVICE'):
        return True
    if refusal(EVALSCOPE_SERVICE):
        return False
    EvalType.SERVICE = EvalType.OPENAI_API
    return True


__all__ = [
    'PATCHES', 'Patch', 'Target', 'alias_eval_type_service', 'apply', 'apply_pending', 'at_exit', 'install',
    'is_patched', 'keep_going', 'native_forward', 'non_strict', 'original', 'override_stock_loader',
    'override_stock_templates', 'refusal']
