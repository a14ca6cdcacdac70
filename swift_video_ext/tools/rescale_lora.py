"""PLLaVA's post-training optimisation as a file operation: rescale a LoRA adapter's alpha.

A LoRA delta is ``(alpha / r) · B @ A``; writing a copy of the adapter with another ``lora_alpha`` rescales every
delta by ``new / old`` without touching the tensors. PLLaVA trains with alpha 32 and infers with alpha 4 (1/8 of the
trained delta), which the paper reports as better for open-ended generation. ``modules_to_save`` weights (e.g. a
fully trained projector) are not LoRA deltas and are copied unchanged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def rescale_lora(checkpoint: str | Path, alpha: float, output: str | Path, *, overwrite: bool = False) -> Path:
    """Copy the adapter directory ``checkpoint`` to ``output`` with ``lora_alpha`` (and ``alpha_pattern``) rescaled.

    Returns ``output``. The copy keeps ms-swift's ``args.json``, so ``swift infer --adapters OUT`` and
    ``swift export --adapters OUT --merge_lora true`` use the new scale.
    """
    checkpoint, output = Path(checkpoint), Path(output)
    config_path = checkpoint / 'adapter_config.json'
    if not config_path.is_file():
        raise FileNotFoundError(f'{checkpoint}: no adapter_config.json (is this a LoRA checkpoint?)')
    config = json.loads(config_path.read_text())
    if config.get('peft_type', 'LORA') != 'LORA':
        raise ValueError(f'{checkpoint}: peft_type {config.get("peft_type")} is not LoRA')
    if alpha <= 0:
        raise ValueError(f'alpha must be positive, got {alpha}')
    if output.exists():
        if not overwrite:
            raise FileExistsError(f'{output} exists (pass overwrite=True / --overwrite)')
        shutil.rmtree(output)
    ignore = shutil.ignore_patterns('optimizer.pt', 'scheduler.pt', 'rng_state*.pth', 'global_step*')
    shutil.copytree(checkpoint, output, ignore=ignore)
    old_alpha = float(config['lora_alpha'])
    factor = alpha / old_alpha
    config['lora_alpha'] = alpha
    config['alpha_pattern'] = {k: v * factor for k, v in (config.get('alpha_pattern') or {}).items()}
    (output / 'adapter_config.json').write_text(json.dumps(config, indent=2))
    return output
