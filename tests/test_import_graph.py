"""The package's import graph: no cycles, and no import from a lower layer into a higher one.

Every ``import`` statement counts, at module level and inside functions (read with ``ast``, nothing is imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

import swift_video_ext

PACKAGE = 'swift_video_ext'

# The layers, lowest first; a module may import its own layer and the ones below. A module belongs to the longest
# entry it falls under (``a.b`` covers ``a.b`` and ``a.b.*``); the package root is matched exactly.
LAYERS: list[tuple[str, ...]] = [
    (f'{PACKAGE}.video',),  # the video core: decode, sample, cache, the package logger
    (f'{PACKAGE}.logging_utils',),
    (f'{PACKAGE}.common',),  # shared by the model packages: template base, bad samples, the ms-swift seam
    (f'{PACKAGE}.models',),  # one package per model type
    (f'{PACKAGE}.datasets', f'{PACKAGE}.eval', f'{PACKAGE}.tools', f'{PACKAGE}.vllm'),
    (f'{PACKAGE}.hooks',),  # inside ms-swift's pipelines: the start-up check (needs the planner), swift infer
    (f'{PACKAGE}.registration', f'{PACKAGE}.plugin'),  # registers everything with ms-swift (plugin: at import)
    (f'{PACKAGE}.cli', f'{PACKAGE}.lmms_plugin', f'{PACKAGE}.demo', f'{PACKAGE}._swift_shim',
     f'{PACKAGE}.tools.loading'),  # applications; tools.loading registers the plugin before loading a model
    # `import swift_video_ext` (light) installs the hook that registers every model's Auto classes once transformers'
    # Auto modules load: wiring of the whole package, which no module of it imports
    (PACKAGE, f'{PACKAGE}._auto_classes'),
]


def module_files(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Module name → file, for every ``.py`` under ``root`` (the package folder)."""
    modules = {}
    for path in sorted(root.rglob('*.py')):
        parts = [package, *path.relative_to(root).with_suffix('').parts]
        if parts[-1] == '__init__':
            parts.pop()
        modules['.'.join(parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that ``name`` imports anywhere in its file."""
    is_package = path.name == '__init__.py'
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split('.') if is_package else name.split('.')[:-1]
                base = base[:len(base) - node.level + 1]
                source = '.'.join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ''
            for alias in node.names:
                submodule = f'{source}.{alias.name}'
                found.add(submodule if submodule in modules else source)
    return {module for module in found if module in modules and module != name}


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    modules = module_files(root, package)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def layer_of(module: str, layers: list[tuple[str, ...]] = LAYERS, package: str = PACKAGE) -> int:
    best, best_length = None, -1
    for index, entries in enumerate(layers):
        for entry in entries:
            covers = module == entry or (entry != package and module.startswith(entry + '.'))
            if covers and len(entry) > best_length:
                best, best_length = index, len(entry)
    assert best is not None, f'{module} is in no layer: add it to LAYERS'
    return best


def upward_imports(graph: dict[str, set[str]], layers=LAYERS, package: str = PACKAGE) -> list[str]:
    return sorted(f'{source} (layer {layer_of(source, layers, package)}) imports {target} '
                  f'(layer {layer_of(target, layers, package)})'
                  for source, targets in graph.items() for target in targets
                  if layer_of(target, layers, package) > layer_of(source, layers, package))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (as a path back to its start)."""
    found, state, stack = [], {}, []

    def visit(module: str) -> None:
        state[module] = 'open'
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 'open':
                found.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 'done'

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def package_root() -> Path:
    return Path(swift_video_ext.__file__).parent


def test_no_import_cycles():
    assert cycles(import_graph(package_root())) == []


def test_no_lower_layer_imports_a_higher_one():
    assert upward_imports(import_graph(package_root())) == []


def test_the_video_core_imports_nothing_from_the_rest_of_the_package():
    graph = import_graph(package_root())
    video = f'{PACKAGE}.video'
    outside = {f'{source} imports {target}' for source, targets in graph.items() if layer_of(source) == 1
               for target in targets if not (target == video or target.startswith(video + '.'))}
    assert outside == set()


def test_every_module_has_a_layer():
    for module in import_graph(package_root()):
        layer_of(module)


def test_the_checks_see_function_level_imports_and_cycles(tmp_path):
    """The checker itself: a function-level import into a higher layer and a cycle are both reported."""
    root = tmp_path / 'pkg'
    (root / 'low').mkdir(parents=True)
    (root / '__init__.py').write_text('')
    (root / 'low' / '__init__.py').write_text('')
    (root / 'low' / 'a.py').write_text('def f():\n    from ..high import b\n')
    (root / 'high.py').write_text('from .low import a\nfrom pkg.low.a import f\n')
    (root / 'high_b.py').write_text('import pkg.high\n')
    layers = [('pkg', 'pkg.low'), ('pkg.high', 'pkg.high_b')]
    graph = import_graph(root, 'pkg')
    assert graph['pkg.low.a'] == {'pkg.high'}
    assert upward_imports(graph, layers, 'pkg') == ['pkg.low.a (layer 0) imports pkg.high (layer 1)']
    assert cycles(graph) == [['pkg.high', 'pkg.low.a', 'pkg.high']]
