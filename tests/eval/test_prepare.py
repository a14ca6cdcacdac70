"""`swift-video eval prepare`: benchmark files in their official layouts → swift infer rows with the papers' prompts.

The PLLaVA prompts are compared with ``known_answers/pllava_prompts.json``, written by running the official
``Conversation`` of magic-research/PLLaVA @ 6f49fd2 ``tasks/eval/eval_utils.py`` (``oracle/pllava_prompts.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from swift_video_ext.eval.benchmarks import mvbench_question, read_benchmark
from swift_video_ext.eval.prepare import manifest_path, prepare
from swift_video_ext.eval.protocols import PROTOCOLS, SAMPLERS, get_protocol
from tests.eval.mini_benchmarks import PREPARE_OPTIONS, WRITERS

KNOWN = json.loads((Path(__file__).parent / 'known_answers' / 'pllava_prompts.json').read_text())['cases']


@pytest.fixture(scope='module')
def mini(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp('benchmarks')
    return {name: writer(root / name) for name, writer in WRITERS.items()}


def test_mvbench_question_is_pllava_qa_template():
    case = KNOWN['mvbench']
    item = case['item']
    assert mvbench_question(item['question'], item['candidates'], item['answer']) == (case['question'], case['answer'])


def _prompt_text(template, row: dict) -> str:
    """The decoded inference prompt of a row, each run of image tokens shown as one ``<image>``."""
    request = {**row, 'messages': row['messages'][:-1]}
    encoded = template.encode(request)
    text = template.tokenizer.decode(encoded['input_ids'])
    return re.sub(r'(<image>)+', '<image>', text)


@pytest.mark.parametrize('benchmark,case,template_type', [
    ('mvbench', 'mvbench', 'pllava_eval'), ('videoqa', 'videoqa', 'pllava_eval_interleaved'),
    ('vcgbench', 'vcgbench', 'pllava_eval')])
def test_pllava_rows_give_the_official_prompt(tiny_pllava, gop_clip, benchmark, case, template_type):
    from swift.model import get_processor
    from swift.template import get_template

    import swift_video_ext.plugin  # noqa: F401
    from swift_video_ext.eval.benchmarks import Item
    from swift_video_ext.eval.prepare import item_row

    protocol = get_protocol('pllava', benchmark)
    assert protocol.template == template_type
    known = KNOWN[case]
    row = item_row(Item('x', 'MSVD_QA', str(gop_clip), known['question'], 'ref'), protocol)
    template = get_template(get_processor(str(tiny_pllava)), template_type=template_type)
    template.set_mode('transformers')
    assert _prompt_text(template, row) == '<s>' + known['prompt']


def test_protocol_reads_back_the_official_prediction():
    mvbench = get_protocol('pllava', 'mvbench')
    assert mvbench.prediction('Best option:(B) green') == '(B) green'
    assert mvbench.prediction('Best option:(') == '('
    assert mvbench.prediction(None) is None
    videoqa = get_protocol('pllava', 'videoqa')
    assert videoqa.prediction('\nAnswer: In the video, a man runs. ') == 'a man runs.'
    assert videoqa.prediction('a man runs') == ''  # the official join of nothing after the answer prompt
    assert get_protocol('minigpt4_video', 'videoqa').prediction('  a dog \n') == 'a dog'


def test_protocol_samplers_are_the_templates_inference_strategies():
    from swift_video_ext.models import sampling_profiles

    profiles = sampling_profiles()
    for model_type, sampler in SAMPLERS.items():
        assert profiles[model_type.split('_llama2')[0].split('_mistral')[0]].strategy == sampler
    assert {p.sampler for p in PROTOCOLS.values()} <= set(SAMPLERS.values())


@pytest.mark.parametrize('benchmark', sorted(WRITERS))
def test_prepare_writes_rows_and_manifest(mini, tmp_path, benchmark):
    output = tmp_path / f'{benchmark}.jsonl'
    manifest = prepare(benchmark, mini[benchmark], 'pllava', output, **PREPARE_OPTIONS.get(benchmark, {}))
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    saved = json.loads(manifest_path(output).read_text())
    assert len(rows) == manifest['rows'] == len(saved['entries'])
    assert manifest['items'] == manifest['rows'] + len(manifest['skipped'])
    protocol = get_protocol('pllava', benchmark)
    for row, entry in zip(rows, saved['entries'], strict=True):
        assert row['messages'][-1] == {'role': 'assistant', 'content': entry['answer']}
        assert row['messages'][-2]['content'] == protocol.row_text(entry['question'])
        assert Path(row['videos'][0].split('#t=')[0]).exists()
    assert f'--val_dataset {output.resolve()}' in manifest['swift_infer']


def test_missing_video_is_named_and_counted(mini, tmp_path):
    manifest = prepare('videomme', mini['videomme'], 'cogvlm2_video_ts', tmp_path / 'v.jsonl')
    assert manifest['items'] == 4 and manifest['rows'] == 3
    (skipped,) = manifest['skipped']
    assert skipped['id'] == '009-1' and skipped['reason'] == 'video not found' and skipped['video'].endswith('gone.mp4')


def test_mvbench_bounded_task_carries_its_window(mini):
    items = read_benchmark('mvbench', mini['mvbench'], tasks=['Action Count', 'Action Sequence'])
    bounded = [i for i in items if i.task == 'Action Sequence']
    assert bounded and all(i.video.endswith('#t=1,4') for i in bounded)
    assert all('#t=' not in i.video for i in items if i.task == 'Action Count')
    assert items[0].answer == '(A) red' and items[1].answer == '(B) green'


def test_mvbench_unknown_task_and_missing_annotations_are_clear_errors(mini, tmp_path):
    with pytest.raises(ValueError, match='unknown MVBench task'):
        read_benchmark('mvbench', mini['mvbench'], tasks=['Colour Count'])
    with pytest.raises(FileNotFoundError, match='object_shuffle.json'):
        read_benchmark('mvbench', mini['mvbench'], tasks=['Object Shuffle'])
    with pytest.raises(FileNotFoundError, match='benchmark folder not found'):
        read_benchmark('mvbench', tmp_path / 'nowhere')


def test_malformed_annotation_names_file_and_row(tmp_path):
    (tmp_path / 'Benchmarking_QA').mkdir()
    (tmp_path / 'Benchmarking_QA' / 'generic_qa.json').write_text(json.dumps([{'Q': 'q', 'video_name': 'v'}]))
    with pytest.raises(ValueError, match=r'generic_qa.json\[0\]: no .A. field'):
        read_benchmark('vcgbench', tmp_path, tasks=['generic'])


def test_tvqa_rows_have_minigpt4_instruction_and_subtitles(mini, tmp_path):
    output = tmp_path / 'tvqa.jsonl'
    prepare('tvqa', mini['tvqa'], 'minigpt4_video', output)
    row = json.loads(output.read_text().splitlines()[0])
    text = row['messages'][-2]['content']
    assert text.startswith('<video>What colour is the video? \n\n As you watched in this video Choose ONE suitable')
    assert 'option 0: red \n\noption 1: green \n\n' in text
    assert text.endswith('THE NUMBER OF THE CORRECT ANSWER FROM THE CHOICES FROM 0 TO 4 INCLUSIVE')
    subtitles = Path(row['chat_template_kwargs']['subtitles'])
    assert subtitles.read_text().startswith('1\n00:00:00,000 --> 00:00:01,500\nLook, it is red.')
    assert Path(row['videos'][0]).is_dir()


def test_unknown_model_type_names_the_known_ones():
    with pytest.raises(ValueError, match="no evaluation protocol for model type 'gemma4'"):
        get_protocol('gemma4', 'mvbench')
