"""ms-swift ``--external_plugins`` file for the multi-process tests: logs what each rank trains on.

Appends JSON lines to ``$SVE_ROW_LOG``: one per row the process's template encodes (its ``RANK`` and the row's video
file names; with lazy tokenisation, ms-swift's default for multimodal data, a rank encodes only the rows its sampler
gives it), and one per rank at the start of training with the trainer's ``parallel_mode`` and ``world_size``
(``ParallelMode.DISTRIBUTED`` and 2 for real DDP).
"""

from __future__ import annotations

import functools
import json
import os

import transformers
from swift.template.base import Template


def _log(record: dict) -> None:
    path = os.environ.get('SVE_ROW_LOG')
    if path:
        with open(path, 'a') as f:
            f.write(json.dumps({'rank': int(os.environ.get('RANK', '-1')), **record}) + '\n')


def _videos(inputs) -> list[str]:
    videos = inputs.get('videos') if isinstance(inputs, dict) else getattr(inputs, 'videos', None)
    if videos is None and hasattr(inputs, 'chosen'):
        videos = getattr(inputs.chosen, 'videos', None)
    return [os.path.basename(str(v)) for v in videos or []]


class _ParallelModeReport(transformers.TrainerCallback):
    def on_train_begin(self, args, state, control, **kwargs):
        _log({'parallel_mode': str(args.parallel_mode), 'world_size': args.world_size})


_original_encode = Template.encode


@functools.wraps(_original_encode)
def _logging_encode(self, inputs, *args, **kwargs):
    if self.is_training:
        _log({'row': '+'.join(_videos(inputs))})
    return _original_encode(self, inputs, *args, **kwargs)


_original_init = transformers.Trainer.__init__


@functools.wraps(_original_init)  # ms-swift inspects the signature
def _init_with_report(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.add_callback(_ParallelModeReport())


Template.encode = _logging_encode
transformers.Trainer.__init__ = _init_with_report
