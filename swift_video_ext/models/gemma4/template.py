"""``gemma4_frames`` / ``gemma4_frames_nothinking``: ms-swift's Gemma-4 templates with videos read by our video core.

ms-swift's own Gemma-4 template hands video paths to transformers, which decodes them with torchcodec and samples
its own frames. These templates sample every video through :mod:`swift_video_ext.video` instead — files, bytes,
frame folders (with ``timestamps.json`` from ``swift-video extract-frames``) and frame lists — and pass the frames
with their metadata, so the ``mm:ss`` stamp Gemma-4 writes before each frame is the frame's real time.
Frames: ``uniform`` x ``NUM_FRAMES`` (default 4), the other knobs as usual. Images and the prompt layout are
exactly ms-swift's.
"""

from __future__ import annotations

from typing import Any

from swift.template import Template, TemplateMeta
from swift.template.template_inputs import StdTemplateInputs
from swift.template.templates.gemma import Gemma4Template, Gemma4TemplateMeta
from swift.template.utils import findall
from transformers.video_utils import VideoMetadata

from ...common.template import VideoTemplate
from ...video.settings import VideoSampling
from .spec import VIDEO_SAMPLING

TEMPLATE, TEMPLATE_NOTHINKING = 'gemma4_frames', 'gemma4_frames_nothinking'


def video_metadata(video) -> VideoMetadata:
    """Metadata whose frame clock runs at 1 "frame" per second with the frames at their real times, so that
    transformers' ``frames_indices / fps`` — the seconds Gemma-4 prints as mm:ss — are exactly our timestamps
    (also for variable frame rate and for frame folders with recorded times)."""
    height, width = video.frames.shape[1:3]
    return VideoMetadata(total_num_frames=video.num_source_frames, fps=1.0, width=width, height=height,
                         duration=video.duration, frames_indices=[float(t) for t in video.timestamps])


class Gemma4FramesTemplate(VideoTemplate, Gemma4Template):
    placeholder_tokens = ['<|image|>', '<|audio|>', '<|video|>']
    collated_counts = ('num_frames_per_video',)

    def resolve_sampling(self) -> VideoSampling:
        return VIDEO_SAMPLING.with_env()

    def _encode(self, inputs: StdTemplateInputs) -> dict[str, Any]:
        if not inputs.videos:
            return super()._encode(inputs)
        if inputs.audios:
            raise ValueError('gemma4_frames takes images and videos; use the gemma4 templates for audio')
        videos = [self.sample_video(v) for v in inputs.videos]
        encoded = Template._encode(self, inputs)  # the text, with one <|image|>/<|video|> per medium
        media = self.processor(text='\n'.join(['<|image|>'] * len(inputs.images) + ['<|video|>'] * len(videos)),
                               images=inputs.images or None, videos=[v.frames for v in videos],
                               video_metadata=[video_metadata(v) for v in videos], do_sample_frames=False,
                               return_tensors='pt', add_special_tokens=False)
        expansions = self._split_list(media['input_ids'][0].tolist(), self._tokenize('\n'))
        positions = findall(encoded['input_ids'], self.config.image_token_id) + \
            findall(encoded['input_ids'], self.config.video_token_id)
        order = sorted(range(len(positions)), key=positions.__getitem__)
        positions, expansions = [positions[i] for i in order], [expansions[i] for i in order]
        input_ids, labels, loss_scale, mm_mask = self._extend_tokens(
            encoded['input_ids'], encoded['labels'], encoded.get('loss_scale'), positions,
            lambda i: expansions[i], mm_mask=[False] * len(encoded['input_ids']))
        for key in ('pixel_values', 'image_position_ids', 'pixel_values_videos', 'video_position_ids',
                    'num_frames_per_video'):
            if key in media:
                encoded[key] = media[key]
        encoded.update(input_ids=input_ids, labels=labels, loss_scale=loss_scale,
                       mm_token_type_ids=self.create_mm_token_type_ids(input_ids, mm_mask))
        return encoded

    def visual_token_ids(self) -> set[int]:
        return {self.config.image_token_id, self.config.video_token_id}


def template_metas() -> list[TemplateMeta]:
    return [Gemma4TemplateMeta(TEMPLATE_NOTHINKING, template_cls=Gemma4FramesTemplate, agent_template='gemma4'),
            Gemma4TemplateMeta(TEMPLATE, template_cls=Gemma4FramesTemplate, agent_template='gemma4',
                               is_thinking=True, non_thinking_prefix='<|channel>thought\n<channel|>')]
