"""How each paper prompted each benchmark, as data: the text around the question and how the answer is read back.

A :class:`Protocol` turns a benchmark item into a ``swift infer`` row (system, user text, answer prefix, template,
frames) and turns the row's ``response`` back into the prediction the official scorer saw. Sources, per model type:

- ``pllava``: magic-research/PLLaVA @ 6f49fd2, ``tasks/eval/eval_utils.py`` (``conv_templates``) and the
  ``pllava_eval_{mvbench,videoqabench,vcgbench}.py`` scripts: 16 frames, ``segment_middle_fixed``, LoRA alpha 4.
  ``Conversation.user_query`` joins ``pre_query_prompt``/``post_query_prompt`` to the question with a space; the
  answer prompt follows ``ASSISTANT:`` directly; the prediction is the text after the answer prompt (``split``),
  prefixed with the return prompt (MVBench: ``(``).
- ``minigpt4_video``: Vision-CAIR/MiniGPT4-video @ ecabd7a, ``evaluation/eval_minigpt4_video.py``: the question
  alone under the evaluation template (``minigpt4_video_*_eval``: 45 frames Llama-2, 90 Mistral, subtitles when
  given); TVQA's instruction from ``video_datasets.py`` ``TVQAEVAL``.
- ``cogvlm2_video_ts``: THUDM/CogVLM2 ships no evaluation code; the question under the chat template
  (``Question: {q} Answer:``), 24 frames, as its README describes. Multiple-choice sets use the MVBench/VideoChat2
  wording (stated in each result as ``protocol``).

Benchmarks no paper of ours reports (Video-MME; MVBench for MiniGPT4-Video) use the benchmark's own prompt.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# PLLaVA eval_utils.py: SYSTEM_MVBENCH (conv_eval_mvbench).
MVBENCH_SYSTEM = ('Carefully watch the video and pay attention to the cause and sequence of events, the detail and '
                  'movement of objects, and the action and pose of persons. Based on your observations, select the '
                  'best option that accurately addresses the question.\n')
MVBENCH_POST_QUERY = '\nOnly give the best option.'  # pllava_eval_mvbench.py post_query_prompt
MVBENCH_ANSWER_PROMPT, MVBENCH_RETURN_PROMPT = 'Best option:(', '('
# PLLaVA eval_utils.py conv_eval_videoqabench.
VIDEOQA_PRE_QUERY = ('The input consists of a sequence of key frames from a video. Answer the question concisely '
                     'first and followed by significant events, characters, or objects that appear throughout the '
                     'frames. Question:')
VIDEOQA_POST_QUERY, VIDEOQA_ANSWER_PROMPT = '\n', '\nAnswer: In the video,'
# Video-MME's own prompt (video-mme README / lmms-eval tasks/videomme/utils.py), without subtitles.
VIDEOMME_PROMPT = ('Select the best answer to the following multiple-choice question based on the video. Respond with '
                   'only the letter (A, B, C, or D) of the correct option.')
VIDEOMME_SUBTITLE_PROMPT = ("This video's subtitles are listed below:\n{subtitles}\n")
VIDEOMME_ANSWER_PROMPT = 'The best answer is:'
# MiniGPT4-Video video_datasets.py TVQAEVAL.__getitem__ (its spelling kept).
TVQA_INSTRUCTION = ' \n\n As you watched in this video Choose ONE suitable answer from these mutiple choices \n\n'
TVQA_OPTION, TVQA_FOOTER = 'option {index}: {text} \n\n', ('\n Your output should be THE NUMBER OF THE CORRECT ANSWER '
                                                           'FROM THE CHOICES FROM 0 TO 4 INCLUSIVE')


@dataclass(frozen=True)
class Protocol:
    """One (model type, benchmark) evaluation prompt and the rule that reads the answer back."""

    name: str  # e.g. "pllava/mvbench"
    source: str  # the official file/function it reproduces, or why there is none
    template: str | None  # --template for swift infer (None: the model type's default)
    query: str = '<video>{question}'  # user text; {question} is the benchmark's question (with its options)
    system: str | None = None  # None: the template's default system; '' none
    answer_prompt: str | None = None  # put right after the assistant role (ms-swift's response_prefix)
    role_tag: str | None = None  # the official reply is the decoded text after the last assistant role tag
    split_on: str | None = None  # then the text after this (official ``''.join(reply.split(split_on)[1:])``)
    return_prompt: str = ''  # put before the cut prediction
    strip: bool = False  # strip the prediction (after the cut)
    num_frames: int | None = None  # the frame count of the paper's evaluation (NUM_FRAMES)
    sampler: str | None = None  # the model type's inference strategy (swift_video_ext.video.sampling)
    env: dict[str, str] = field(default_factory=dict)  # further knobs for `swift infer`

    def row_text(self, question: str) -> str:
        return self.query.format(question=question)

    def prediction(self, response: str | None) -> str | None:
        """The prediction the official scorer saw, from ``swift infer``'s ``response`` (None stays None)."""
        if response is None:
            return None
        text = response
        if self.role_tag is not None:  # pllava_answer: split on the role, strip
            text = text.split(self.role_tag)[-1].strip()
        if self.split_on is not None:  # '' when the answer prompt is missing, as the official join gives
            text = ''.join(text.split(self.split_on)[1:])
        if self.strip:
            text = text.strip()
        return self.return_prompt + text

    def infer_env(self) -> dict[str, str]:
        env = dict(self.env)
        if self.num_frames is not None:
            env.setdefault('NUM_FRAMES', str(self.num_frames))
        return env


_PLLAVA = 'magic-research/PLLaVA@6f49fd2'
_MINIGPT4 = 'Vision-CAIR/MiniGPT4-video@ecabd7a evaluation/eval_minigpt4_video.py'
_COGVLM2 = 'THUDM/CogVLM2 ships no evaluation code: the question under the chat template (README: 24 frames)'


def _mvbench_like(name: str, template: str | None, source: str, system: str | None, frames: int | None,
                  role_tag: str | None = None) -> Protocol:
    return Protocol(name, source, template, query='<video>{question} ' + MVBENCH_POST_QUERY, system=system,
                    answer_prompt=MVBENCH_ANSWER_PROMPT, role_tag=role_tag, split_on=MVBENCH_ANSWER_PROMPT,
                    return_prompt=MVBENCH_RETURN_PROMPT, num_frames=frames)


def _plain(name: str, template: str | None, source: str, frames: int | None, system: str | None = None) -> Protocol:
    return Protocol(name, source, template, system=system, strip=True, num_frames=frames)


def _videomme(name: str, template: str | None, frames: int | None) -> Protocol:
    return Protocol(name, 'Video-MME prompt (lmms-eval tasks/videomme/utils.py videomme_doc_to_text)', template,
                    query='<video>' + VIDEOMME_PROMPT + '\n{question}\n' + VIDEOMME_ANSWER_PROMPT, strip=True,
                    num_frames=frames)


def _tvqa(name: str, template: str | None, frames: int | None, source: str) -> Protocol:
    return Protocol(name, source, template, strip=True, num_frames=frames, env={'VIDEO_SOURCE_FPS': '3'})


PROTOCOLS: dict[tuple[str, str], Protocol] = {}
# The inference strategy of each model type's template (its processing module's VIDEO_SAMPLING; a test checks).
SAMPLERS = {'pllava': 'segment_middle_fixed', 'cogvlm2_video_ts': 'per_second', 'minigpt4_video_llama2': 'interval',
            'minigpt4_video_mistral': 'interval'}


def _add(model_type: str, benchmark: str, protocol: Protocol) -> None:
    PROTOCOLS[(model_type, benchmark)] = dataclasses.replace(protocol, sampler=SAMPLERS[model_type])


# PLLaVA 7B/13B (Vicuna); the 34B ChatML layouts are conv_*_llavanext (use --template pllava_chatml_eval).
_add('pllava', 'mvbench', _mvbench_like(
    'pllava/mvbench', 'pllava_eval', f'{_PLLAVA} tasks/eval/mvbench/pllava_eval_mvbench.py (conv eval_mvbench)',
    MVBENCH_SYSTEM, 16, role_tag='ASSISTANT:'))
_add('pllava', 'videoqa', Protocol(
    'pllava/videoqa', f'{_PLLAVA} tasks/eval/videoqabench/pllava_eval_videoqabench.py (conv eval_videoqabench)',
    'pllava_eval_interleaved', query='<video> ' + VIDEOQA_PRE_QUERY + ' {question} ' + VIDEOQA_POST_QUERY,
    system='', answer_prompt=VIDEOQA_ANSWER_PROMPT, role_tag='ASSISTANT:', split_on=VIDEOQA_ANSWER_PROMPT.strip('\n'),
    strip=True, num_frames=16))
_add('pllava', 'vcgbench', Protocol('pllava/vcgbench',
                                    f'{_PLLAVA} tasks/eval/vcgbench/pllava_eval_vcgbench.py (conv eval_vcgbench)',
                                    'pllava_eval', role_tag='ASSISTANT:', strip=True, num_frames=16))
_add('pllava', 'videomme', _videomme('pllava/videomme', 'pllava_eval', 16))
_add('pllava', 'tvqa', _tvqa('pllava/tvqa', 'pllava_eval', 16, 'MiniGPT4-Video TVQA instruction (not in PLLaVA)'))
_add('pllava', 'charades_sta', _plain('pllava/charades_sta', 'pllava_eval',
                                      'our grounding question (PLLaVA reports no Charades-STA)', 16))

for _family in ('llama2', 'mistral'):
    _type, _frames = f'minigpt4_video_{_family}', 45 if _family == 'llama2' else 90
    _tmpl = f'minigpt4_video_{_family}_eval'
    _add(_type, 'videoqa', _plain(f'{_type}/videoqa', _tmpl, f'{_MINIGPT4} (VideoChatGPTEvalDataset)', _frames))
    _add(_type, 'vcgbench', _plain(f'{_type}/vcgbench', _tmpl, f'{_MINIGPT4} (video_chatgpt_*)', _frames))
    _add(_type, 'tvqa', _tvqa(f'{_type}/tvqa', _tmpl, _frames, f'{_MINIGPT4} (TVQAEVAL)'))
    _add(_type, 'mvbench', _mvbench_like(f'{_type}/mvbench', _tmpl,
                                         'MVBench/VideoChat2 wording (MiniGPT4-Video reports no MVBench)', '', _frames))
    _add(_type, 'videomme', _videomme(f'{_type}/videomme', _tmpl, _frames))
    _add(_type, 'charades_sta', _plain(f'{_type}/charades_sta', _tmpl,
                                       'our grounding question (MiniGPT4-Video reports no Charades-STA)', _frames))

_add('cogvlm2_video_ts', 'mvbench', _mvbench_like(
    'cogvlm2_video_ts/mvbench', 'cogvlm2_video_chat', f'MVBench/VideoChat2 wording; {_COGVLM2}', None, 24))
_add('cogvlm2_video_ts', 'videoqa', _plain('cogvlm2_video_ts/videoqa', 'cogvlm2_video_chat', _COGVLM2, 24))
_add('cogvlm2_video_ts', 'vcgbench', _plain('cogvlm2_video_ts/vcgbench', 'cogvlm2_video_chat', _COGVLM2, 24))
_add('cogvlm2_video_ts', 'videomme', _videomme('cogvlm2_video_ts/videomme', 'cogvlm2_video_chat', 24))
_add('cogvlm2_video_ts', 'tvqa', _tvqa('cogvlm2_video_ts/tvqa', 'cogvlm2_video_chat', 24,
                                       'MiniGPT4-Video TVQA instruction (not in CogVLM2)'))
_add('cogvlm2_video_ts', 'charades_sta', _plain('cogvlm2_video_ts/charades_sta', 'cogvlm2_video_chat',
                                                'our grounding question (swift_video_ext.datasets.grounding)', 24))

MODEL_TYPES = ('pllava', 'cogvlm2_video_ts', 'minigpt4_video_llama2', 'minigpt4_video_mistral')


def get_protocol(model_type: str, benchmark: str) -> Protocol:
    """The protocol of ``model_type`` (``minigpt4_video`` → its Llama-2 variant) on ``benchmark``."""
    if model_type == 'minigpt4_video':
        model_type = 'minigpt4_video_llama2'
    try:
        return PROTOCOLS[(model_type, benchmark)]
    except KeyError:
        known = sorted({m for m, _ in PROTOCOLS})
        raise ValueError(f'no evaluation protocol for model type {model_type!r} on {benchmark!r}; model types: '
                         f'{known} (minigpt4_video means its Llama-2 variant)') from None
