"""The docs check: README.md and docs/**/*.md link only to files and headings that exist, and every command in
their fenced blocks names a real ``swift-video`` subcommand and flag, a real ``swift`` command, flag, model type and
template, a real ``make`` target, and a script that exists.

The link and ``swift-video`` / ``make`` checks import no torch; the ``swift`` checks import ms-swift's arguments and
registries (what ``swift`` itself parses against).
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / 'README.md', *sorted((ROOT / 'docs').rglob('*.md'))]
SHELL_FENCES = {'bash', 'sh', 'shell', 'console', 'text'}
FENCE = re.compile(r'^(`{3,}|~{3,})\s*([\w-]*)')
LINK = re.compile(r'!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
CODE_SPAN = re.compile(r'(`+)(?:(?!\1).)+?\1')
HTML_ANCHOR = re.compile(r'<a\s+(?:id|name)="([^"]+)"')
PLACEHOLDER = re.compile(r'^[a-z0-9][a-z0-9_.-]*$')  # values like T, TYPE, $X, <name> are placeholders


@dataclass(frozen=True)
class Command:
    page: Path
    line: int
    words: tuple[str, ...]

    def where(self) -> str:
        return f'{self.page.relative_to(ROOT)}:{self.line}: {" ".join(self.words)}'


# ---------------------------------------------------------------------------------------------------- markdown


def split_fences(text: str) -> Iterator[tuple[int, str, str | None]]:
    """(line number, line, fence language or None outside fences) for every line that is not a fence marker."""
    fence, language = None, None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line.lstrip())
        if match and fence is None:
            fence, language = match.group(1), match.group(2).lower()
        elif match and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
        else:
            yield number, line, language if fence else None


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading)  # a link renders as its text
    text = re.sub(r'<[^>]+>', '', text).replace('`', '').replace('*', '').lower().strip()
    return re.sub(r'[^\w\- ]', '', text).replace(' ', '-')


def anchors(page: Path) -> set[str]:
    """Every anchor GitHub gives ``page``: heading slugs (repeats get -1, -2, …) and explicit ``<a id>``."""
    found: set[str] = set()
    counts: dict[str, int] = {}
    for _, line, language in split_fences(page.read_text()):
        if language is not None:
            continue
        found.update(HTML_ANCHOR.findall(line))
        heading = re.match(r'^#{1,6}\s+(.*?)\s*#*\s*$', line)
        if heading:
            base = slug(heading.group(1))
            count = counts.get(base, 0)
            counts[base] = count + 1
            found.add(base if count == 0 else f'{base}-{count}')
    return found


def link_problems(page: Path) -> list[str]:
    """Relative links (and #anchors) of ``page`` that point at nothing."""
    problems = []
    for number, line, language in split_fences(page.read_text()):
        if language is not None:
            continue
        for target in LINK.findall(CODE_SPAN.sub('code', line)):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # https:, mailto:, …
                continue
            path, _, anchor = target.partition('#')
            resolved = (page.parent / path).resolve() if path else page
            where = f'{page.relative_to(ROOT)}:{number}: {target}'
            if not resolved.exists():
                problems.append(f'{where}: no such file')
            elif anchor and (resolved.suffix != '.md' or anchor not in anchors(resolved)):
                problems.append(f'{where}: no heading with anchor #{anchor}')
    return problems


# ---------------------------------------------------------------------------------------------------- commands


def logical_lines(page: Path) -> Iterator[tuple[int, str]]:
    """Shell lines of the fenced blocks: continuation lines joined; in text/console blocks only ``$ `` lines."""
    pending, start = '', 0
    for number, line, language in split_fences(page.read_text()):
        if language not in SHELL_FENCES:
            continue
        if language in ('text', 'console') and not pending:
            if not line.startswith('$ '):
                continue
            line = line[2:]
        if not pending:
            start = number
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        yield start, pending + line
        pending = ''


def tokenize(line: str) -> list[str] | None:
    """Shell words and operators (``;``, ``&&``, ``|``, …) with comments dropped; None if a quote is left open."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=';&|()')
    lexer.whitespace_split = True
    lexer.commenters = '#'
    try:
        return list(lexer)
    except ValueError:
        return None


def commands_of(page: Path) -> Iterator[Command]:
    """Every simple command in the page's shell blocks, ``$(…)`` substitutions included, without leading
    ``VAR=value`` assignments."""
    carried, carried_start = '', 0
    for number, line in logical_lines(page):
        text = f'{carried} {line}' if carried else line
        start = carried_start if carried else number
        words = tokenize(text)
        if words is None:  # a quoted value that goes on over the next line
            carried, carried_start = text, start
            continue
        carried = ''
        for inner in re.findall(r'\$\(([^()]*)\)', text):
            yield from _split(page, start, tokenize(inner) or [])
        yield from _split(page, start, words)


def _split(page: Path, line: int, words: list[str]) -> Iterator[Command]:
    command: list[str] = []
    for word in [*words, ';']:
        if word and set(word) <= set(';&|()'):
            while command and re.match(r'^[A-Za-z_]\w*=', command[0]):
                command.pop(0)
            if command and command[0] != 'export':
                yield Command(page, line, tuple(command))
            command = []
        else:
            command.append(word)


def all_commands(name: str) -> list[Command]:
    return [command for page in PAGES for command in commands_of(page) if command.words[0] == name]


def options(words: tuple[str, ...]) -> Iterator[tuple[str, str | None]]:
    """(flag, its value or None) for each ``--flag`` / ``-f`` word; ``[--flag`` (optional in the docs) counts."""
    for i, word in enumerate(words):
        word = word.strip('[]')
        if re.match(r'^--?[A-Za-z]', word):
            flag, _, value = word.partition('=')
            following = words[i + 1].strip('[]') if i + 1 < len(words) else None
            yield flag, value or (following if following and not following.startswith('-') else None)


def value_problems(command: Command, flags: dict[str, set[str]]) -> list[str]:
    """``--model_type`` / ``--template`` values that are not registered (placeholders skipped)."""
    problems = []
    for flag, value in options(command.words):
        known = flags.get(flag.replace('-', '_').lstrip('_'))
        if known is not None and value and PLACEHOLDER.match(value) and value not in known:
            problems.append(f'{command.where()}: {flag} {value} is not registered')
    return problems


# ---------------------------------------------------------------------------------------------------- swift-video


def swift_video_problems(command: Command, parser: argparse.ArgumentParser) -> list[str]:
    """The subcommand path exists and every flag is an option of the subcommand (or of ``swift-video`` itself)."""
    words = [word.strip('[]') for word in command.words[1:]]
    current, path = parser, []
    for word in words:
        sub = next((a for a in current._actions if isinstance(a, argparse._SubParsersAction)), None)
        if sub is None or word.startswith('-'):
            break
        if word not in sub.choices:
            return [f'{command.where()}: no subcommand {" ".join([*path, word])!r} '
                    f'(choices: {", ".join(sorted(sub.choices))})']
        current, path = sub.choices[word], [*path, word]
    if any(isinstance(a, argparse._SubParsersAction) for a in current._actions):
        return [f'{command.where()}: {" ".join(path) or "swift-video"} needs a subcommand']
    known = set(current._option_string_actions) | set(parser._option_string_actions)
    return [f'{command.where()}: {" ".join(path)} has no option {flag}'
            for flag, _ in options(command.words) if flag not in known]


def test_swift_video_commands_name_real_subcommands_and_flags():
    from swift_video_ext.cli.main import build_parser

    parser = build_parser()
    commands = all_commands('swift-video')
    assert len(commands) > 20, "the command collector lost the docs' swift-video commands"
    problems = [problem for command in commands for problem in swift_video_problems(command, parser)]
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------------------------------- make, scripts


def makefile_targets() -> set[str]:
    text = (ROOT / 'Makefile').read_text()
    return set(re.findall(r'^([A-Za-z0-9_.-]+)\s*:(?!=)', text, flags=re.M))


def make_problems(command: Command, targets: set[str]) -> list[str]:
    goals = [word for word in command.words[1:] if '=' not in word and not word.startswith('-')]
    return [f'{command.where()}: no Makefile target {goal!r}' for goal in goals if goal not in targets]


def test_make_commands_name_real_targets():
    commands = all_commands('make')
    assert any(command.words[1:] == ('test',) for command in commands)  # README's test command, run by .ci/run
    targets = makefile_targets()
    problems = [problem for command in commands for problem in make_problems(command, targets)]
    assert not problems, '\n'.join(problems)


def test_readme_gives_make_test_as_the_test_command():
    """``.ci/run`` runs "exactly README's test command": README must give it, and it must be the one CI runs."""
    readme = [command.words for command in commands_of(ROOT / 'README.md')]
    assert ('make', 'test') in readme
    ci_script = (ROOT / '.ci' / 'run').read_text()
    assert re.search(r'^make test$', ci_script, flags=re.M)
    assert re.search(r'^make test-vllm$', ci_script, flags=re.M)  # §9: the vLLM path is guarded by CI (vllm.md)


def test_scripts_in_commands_exist():
    """``python path.py`` / ``bash path.sh`` with a path in this repository (``python -m``, absolute paths and
    placeholders aside)."""
    problems = []
    for command in all_commands('python') + all_commands('bash'):
        script = command.words[1] if len(command.words) > 1 else ''
        if re.match(r'^[\w.-]+/[\w./-]+\.(py|sh)$', script) and not (ROOT / script).is_file():
            problems.append(f'{command.where()}: no file {script}')
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------------------------------- links


@pytest.mark.parametrize('page', PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page):
    problems = link_problems(page)
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------------------------------- swift


def swift_argument_classes() -> dict[str, type]:
    """``swift <command>`` → the arguments dataclass it parses (every command of ms-swift's CLI)."""
    from swift import arguments as a

    return {'pt': a.PretrainArguments, 'sft': a.SftArguments, 'rlhf': a.RLHFArguments, 'infer': a.InferArguments,
            'export': a.ExportArguments, 'merge-lora': a.ExportArguments, 'deploy': a.DeployArguments,
            'rollout': a.RolloutArguments, 'eval': a.EvalArguments, 'app': a.AppArguments,
            'web-ui': a.WebUIArguments, 'sample': a.SamplingArguments}


def swift_option_strings(cls: type) -> set[str]:
    from swift.utils.utils import _patch_get_type_hints
    from transformers import HfArgumentParser

    with _patch_get_type_hints():
        return set(HfArgumentParser([cls])._option_string_actions)


def registered_names() -> dict[str, set[str]]:
    """Model types and templates ms-swift knows once our plugin has registered."""
    from swift.model import MODEL_MAPPING
    from swift.template import TEMPLATE_MAPPING

    from swift_video_ext.plugin import register_all

    register_all()
    return {'model_type': set(MODEL_MAPPING), 'template': set(TEMPLATE_MAPPING)}


def swift_problems(command: Command, classes: dict[str, type], option_strings: Callable[[type], set[str]],
                   names: dict[str, set[str]]) -> list[str]:
    if len(command.words) < 2 or command.words[1] not in classes:
        return [f'{command.where()}: not a swift command (known: {", ".join(sorted(classes))})']
    known = option_strings(classes[command.words[1]])
    problems = [f'{command.where()}: swift {command.words[1]} has no option {flag}'
                for flag, _ in options(command.words) if flag not in known]
    return problems + value_problems(command, names)


def test_swift_argument_classes_cover_ms_swift_cli():
    from swift.cli.main import ROUTE_MAPPING

    assert set(swift_argument_classes()) == set(ROUTE_MAPPING)


def test_swift_commands_name_real_commands_flags_model_types_and_templates():
    classes, names, cache = swift_argument_classes(), registered_names(), {}

    def option_strings(cls: type) -> set[str]:
        if cls not in cache:
            cache[cls] = swift_option_strings(cls)
        return cache[cls]

    commands = all_commands('swift')
    assert len(commands) > 15, "the command collector lost the docs' swift commands"
    problems = [problem for command in commands for problem in swift_problems(command, classes, option_strings, names)]
    # swift-video takes a model type or a template name where it samples frames (e.g. `sheet --model-type`)
    either = names['model_type'] | names['template']
    for command in all_commands('swift-video'):
        problems += value_problems(command, {'model_type': either, 'template': names['template']})
    assert not problems, '\n'.join(problems)


# ---------------------------------------------------------------------------------------------------- the checker


def test_checker_reports_broken_links_and_anchors(tmp_path, monkeypatch):
    heading = '## A `code` heading, with: punctuation!\n'
    (tmp_path / 'other.md').write_text(f'# Other page\n{heading}{heading}')
    page = tmp_path / 'page.md'
    page.write_text('[ok](other.md#a-code-heading-with-punctuation-1) [ok](#local) [web](https://x.org/nope)\n'
                    '# Local\n```bash\n[in code](missing.md)\n```\n`[in a span](missing.md)`\n'
                    '[gone](missing.md) [bad anchor](other.md#nope) [bad local](#nowhere)\n')
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', tmp_path)
    problems = link_problems(page)
    assert [problem.split(': ', 1)[1] for problem in problems] == [
        'missing.md: no such file', 'other.md#nope: no heading with anchor #nope',
        '#nowhere: no heading with anchor #nowhere'], problems


def test_checker_reports_wrong_subcommands_flags_targets_and_types(tmp_path, monkeypatch):
    from swift_video_ext.cli.main import build_parser

    monkeypatch.setattr(sys.modules[__name__], 'ROOT', tmp_path)
    page = tmp_path / 'page.md'
    page.write_text('```bash\n'
                    'swift-video sample clip.mp4 [--strategy per_second] --no-such-flag  # swift-video nope\n'
                    'NUM_FRAMES=4 swift-video eval mvbench --results r.jsonl && swift-video eval nope --results r\n'
                    'X=1 swift sft --model "$(swift-video plugin-pat)" --model_type nope_type \\\n'
                    '    --template T --no_such_option 1\n'
                    'make tset PYTEST_ARGS=-x\n'
                    '```\n')
    commands = list(commands_of(page))
    assert [command.words[:2] for command in commands] == [
        ('swift-video', 'sample'), ('swift-video', 'eval'), ('swift-video', 'eval'), ('swift-video', 'plugin-pat'),
        ('swift', 'sft'), ('make', 'tset')]
    parser = build_parser()
    video = [problem for command in commands[:4] for problem in swift_video_problems(command, parser)]
    assert len(video) == 3 and 'no option --no-such-flag' in video[0] and "no subcommand 'eval nope'" in video[1]
    assert "no subcommand 'plugin-pat'" in video[2]
    assert 'no Makefile target' in make_problems(commands[5], {'test'})[0]
    swift = swift_problems(commands[4], {'sft': object}, lambda cls: {'--model', '--model_type', '--template'},
                           {'model_type': {'pllava'}, 'template': {'pllava'}})
    assert len(swift) == 2 and 'no option --no_such_option' in swift[0] and '--model_type nope_type' in swift[1]
    assert 'not a swift command' in swift_problems(commands[4], {'infer': object}, lambda cls: set(), {})[0]
