"""Regenerate the sample clips and dataset files in this folder (synthesised with PyAV, no downloads).

    python custom_datasets/make_samples.py            # writes next to this script

Video paths in the files are relative to this folder: run ms-swift with ``ROOT_IMAGE_DIR=<this folder>``
(ms-swift's own knob for relative media paths), e.g.

    ROOT_IMAGE_DIR=$PWD/custom_datasets swift sft --model_type pllava --dataset custom_datasets/video_qa.jsonl ...
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from swift_video_ext.video.synthetic import write_counter_clip, write_subtitles  # noqa: E402

CLIPS = {
    # name: (frames, fps, event window in seconds or None, size)
    'red_square_early': (48, 12, (0.5, 2.0), (192, 108)),
    'red_square_late': (60, 12, (3.0, 4.5), (192, 108)),
    'gradient_only': (36, 12, None, (160, 96)),
    'long_gop_vfr': (None, None, (2.0, 5.0), (160, 96)),
}
VFR_TIMES = [round(i * 0.1 + (0.05 if i % 3 == 0 else 0.0), 3) for i in range(70)]


def write_clips(folder: Path) -> dict[str, Path]:
    paths = {}
    for name, (frames, fps, event, (width, height)) in CLIPS.items():
        path = folder / 'videos' / f'{name}.mp4'
        if frames is None:
            paths[name] = write_counter_clip(path, frame_times=VFR_TIMES, gop=30, bframes=0, event=event,
                                             width=width, height=height)
        else:
            paths[name] = write_counter_clip(path, num_frames=frames, fps=fps, gop=24, bframes=2, event=event,
                                             width=width, height=height)
    write_subtitles(folder / 'videos' / 'red_square_early.srt',
                    [(0.0, 0.9, 'Watch the lower left corner.'), (1.0, 2.0, 'A red square slides in.'),
                     (2.5, 3.9, 'And it is gone.')])
    return paths


def main() -> None:
    write_clips(HERE)
    answers = {'red_square_early': 'A red square appears near the start and disappears.',
               'red_square_late': 'A red square appears near the end.',
               'gradient_only': 'Only a colour gradient; nothing appears.',
               'long_gop_vfr': 'A red square appears in the middle of the clip.'}
    qr = [{'query': '<video>What happens in this video?', 'response': answer, 'history': [],
           'videos': [f'videos/{name}.mp4']} for name, answer in answers.items()]
    qr.append({'query': 'And when does it appear?', 'response': 'Between 0.5 and 2.0 seconds.',
               'history': [['<video>What happens in this video?', answers['red_square_early']]],
               'videos': ['videos/red_square_early.mp4']})
    messages = [{'messages': [{'role': 'user', 'content': '<video>Describe the clip.'},
                              {'role': 'assistant', 'content': answer}], 'videos': [f'videos/{name}.mp4']}
                for name, answer in answers.items()]
    videoinstruct = [{'video_id': name, 'q': 'What happens in this video?', 'a': answer}
                     for name, answer in answers.items()]
    (HERE / 'video_qa_query_response.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in qr))
    (HERE / 'video_qa.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in messages))
    (HERE / 'videoinstruct_sample.json').write_text(json.dumps(videoinstruct, indent=1) + '\n')
    print(f'wrote samples under {HERE}')


if __name__ == '__main__':
    main()
