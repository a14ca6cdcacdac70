"""Convert a released MiniGPT4-Video checkpoint into a directory ms-swift loads (``--model_type minigpt4_video``).

Inputs: the released ``.pth`` (``{"model": {llama_proj.*, llama_model…lora_A/B…}, "config": …}``; only the trained
tensors), LAVIS's ``eva_vit_g.pth`` and the base LLM as an HF directory (Llama-2-7b-chat or Mistral-7B-Instruct-v0.2).
Both ``.pth`` files load with ``torch.load(weights_only=True)``.

The LoRA (q_proj/v_proj, r=64, alpha=16 in the released runs, read from the checkpoint's config when present) is
either merged into the LLM at its trained scale ``alpha / r`` or written as a PEFT adapter (``lora_adapter/``).
Old (peft 0.2, ``lora_A.weight``) and new (``lora_A.default.weight``) key names are both accepted. Conversion is
strict: any checkpoint tensor left unused, or any model tensor without a source, fails with the list — the
reference loader's ``strict=False`` silently dropped the LoRA after a peft upgrade and users saw hallucinations
(MiniGPT4-video #33/#42). EVA's blocks past the used depth and its final norm/head are dropped by design (BLIP-2
uses the penultimate block) and listed in the report; ``ln_vision``, never saved by the reference code, is the
identity LayerNorm it was initialised as.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ...common.checkpoint import load_state_dict, load_torch_file
from .configuration_minigpt4_video import MiniGPT4VideoConfig

_LORA = re.compile(r'^llama_model\.base_model\.model\.(?P<module>model\.layers\.\d+\.self_attn\.(?:q_proj|v_proj))'
                   r'\.lora_(?P<which>[AB])(?:\.default)?\.weight$')
_EVA_BLOCK = re.compile(r'^blocks\.(?P<index>\d+)\.(?P<rest>.+)$')
_EVA_BLOCK_NAMES = {
    'norm1.weight': 'layer_norm1.weight', 'norm1.bias': 'layer_norm1.bias',
    'norm2.weight': 'layer_norm2.weight', 'norm2.bias': 'layer_norm2.bias',
    'attn.qkv.weight': 'self_attn.qkv.weight', 'attn.proj.weight': 'self_attn.projection.weight',
    'attn.proj.bias': 'self_attn.projection.bias', 'mlp.fc1.weight': 'mlp.fc1.weight', 'mlp.fc1.bias': 'mlp.fc1.bias',
    'mlp.fc2.weight': 'mlp.fc2.weight', 'mlp.fc2.bias': 'mlp.fc2.bias',
}
_EVA_TOP = {'cls_token': 'vision_model.embeddings.class_embedding',
            'pos_embed': 'vision_model.embeddings.position_embedding',
            'patch_embed.proj.weight': 'vision_model.embeddings.patch_embedding.weight',
            'patch_embed.proj.bias': 'vision_model.embeddings.patch_embedding.bias'}
_EVA_DROPPED = re.compile(r'^(norm|fc_norm|head)\.')


class ConversionError(ValueError):
    """The sources do not map one-to-one onto the model; lists what is unused or missing."""

    def __init__(self, missing: list[str], unused: list[str]):
        self.missing, self.unused = missing, unused
        parts = ['MiniGPT4-Video conversion failed']
        if unused:
            parts.append(f'{len(unused)} source tensors unused: {unused[:20]}')
        if missing:
            parts.append(f'{len(missing)} model tensors without a source: {missing[:20]}')
        super().__init__('; '.join(parts))


@dataclass
class ConversionReport:
    lora_pairs: int = 0
    lora_scale: float = 0.0
    dropped_eva: list[str] = field(default_factory=list)
    initialised: list[str] = field(default_factory=list)


def eva_state_dict(eva: dict[str, torch.Tensor], depth: int, report: ConversionReport,
                   unused: list[str]) -> dict[str, torch.Tensor]:
    """LAVIS EVA ViT-g names → BLIP-2 vision names (q/v biases folded into one qkv bias with a zero k part)."""
    out: dict[str, torch.Tensor] = {}
    biases: dict[int, dict[str, torch.Tensor]] = {}
    for key, tensor in eva.items():
        if key in _EVA_TOP:
            out[_EVA_TOP[key]] = tensor
            continue
        match = _EVA_BLOCK.match(key)
        if match and int(match['index']) >= depth:
            report.dropped_eva.append(key)
        elif match and match['rest'] in ('attn.q_bias', 'attn.v_bias'):
            biases.setdefault(int(match['index']), {})[match['rest'][5]] = tensor
        elif match and match['rest'] in _EVA_BLOCK_NAMES:
            out[f'vision_model.encoder.layers.{match["index"]}.{_EVA_BLOCK_NAMES[match["rest"]]}'] = tensor
        elif _EVA_DROPPED.match(key):
            report.dropped_eva.append(key)
        else:
            unused.append(f'eva:{key}')
    for index, pair in biases.items():
        if set(pair) != {'q', 'v'}:
            unused.extend(f'eva:blocks.{index}.attn.{w}_bias' for w in pair)
            continue
        out[f'vision_model.encoder.layers.{index}.self_attn.qkv.bias'] = torch.cat(
            [pair['q'], torch.zeros_like(pair['q']), pair['v']])
    return out


def read_lora_settings(checkpoint: dict) -> tuple[int | None, float | None]:
    """(r, alpha) from the checkpoint's saved config, if it has them."""
    model_config = (checkpoint.get('config') or {}).get('model') or {}
    return model_config.get('lora_r'), model_config.get('lora_alpha')


def convert(ckpt: dict, eva: dict[str, torch.Tensor], llm: dict[str, torch.Tensor], expected: set[str], *,
            depth: int, lora_r: int, lora_alpha: float, merge_lora: bool, num_layers: int):
    """Map the three sources onto the model's tensor names; returns (state, adapter or None, report)."""
    report, unused = ConversionReport(), []
    state = eva_state_dict(eva, depth, report, unused)
    for key, tensor in llm.items():
        state[f'language_model.{key}'] = tensor
    lora: dict[str, dict[str, torch.Tensor]] = {}
    for key, tensor in ckpt.items():
        match = _LORA.match(key)
        if key in ('llama_proj.weight', 'llama_proj.bias'):
            state[key] = tensor
        elif match:
            lora.setdefault(f'language_model.{match["module"]}', {})[match['which']] = tensor
        else:
            unused.append(f'ckpt:{key}')
    for name, value in (('ln_vision.weight', 1.0), ('ln_vision.bias', 0.0)):
        if name not in state:
            state[name] = torch.full((eva['cls_token'].shape[-1],), value)
            report.initialised.append(name)
    complete = {m: f for m, f in lora.items() if set(f) == {'A', 'B'} and f'{m}.weight' in state}
    unused += [f'ckpt:{m}.lora_{w}' for m, f in lora.items() if m not in complete for w in f]
    expected_modules = 2 * num_layers
    if len(complete) != expected_modules:
        unused.append(f'LoRA pairs: {len(complete)} complete, expected {expected_modules} (q_proj and v_proj '
                      f'of {num_layers} layers)')
    report.lora_pairs, report.lora_scale = len(complete), lora_alpha / lora_r
    adapter = None
    if merge_lora:
        for module, factors in complete.items():
            base = state[f'{module}.weight']
            delta = report.lora_scale * (factors['B'].float() @ factors['A'].float())
            state[f'{module}.weight'] = (base.float() + delta).to(base.dtype)
    else:
        adapter = {f'base_model.model.{m}.lora_{w}.weight': f[w] for m, f in complete.items() for w in 'AB'}
    missing = sorted(expected - set(state))
    unused += sorted(k for k in set(state) - expected)
    if missing or unused:
        raise ConversionError(missing, unused)
    return state, adapter, report


def build_config(eva: dict[str, torch.Tensor], llm_dir: Path, *, depth: int, heads: int,
                 image_token_id: int, family: str | None) -> MiniGPT4VideoConfig:
    hidden = eva['cls_token'].shape[-1]
    patch = eva['patch_embed.proj.weight'].shape[-1]
    grid = int(round((eva['pos_embed'].shape[1] - 1) ** 0.5))
    vision = {'hidden_size': hidden, 'intermediate_size': eva['blocks.0.mlp.fc1.weight'].shape[0],
              'num_hidden_layers': depth, 'num_attention_heads': heads, 'patch_size': patch,
              'image_size': grid * patch, 'qkv_bias': True, 'hidden_act': 'gelu', 'layer_norm_eps': 1e-6}
    text = json.loads((llm_dir / 'config.json').read_text())
    return MiniGPT4VideoConfig(vision_config=vision, text_config=text, image_token_id=image_token_id,
                               llm_family=family, architectures=['MiniGPT4VideoForConditionalGeneration'])


def convert_checkpoint(ckpt_path: str | Path, eva_path: str | Path, llm_dir: str | Path, output: str | Path, *,
                       lora_as_adapter: bool = False, lora_r: int | None = None, lora_alpha: float | None = None,
                       eva_layers: int = 39, eva_heads: int = 16, family: str | None = None,
                       dtype: str | None = None) -> ConversionReport:
    """Write a loadable directory to ``output`` (config, safetensors, tokenizer, processor[, lora_adapter/])."""
    from transformers import AutoTokenizer

    from .modeling_minigpt4_video import MiniGPT4VideoForConditionalGeneration
    from .processing_minigpt4_video import MiniGPT4VideoProcessor

    llm_dir, output = Path(llm_dir), Path(output)
    checkpoint = load_torch_file(ckpt_path)
    ckpt_state = checkpoint.get('model', checkpoint)
    saved_r, saved_alpha = read_lora_settings(checkpoint)
    lora_r, lora_alpha = lora_r or saved_r or 64, lora_alpha or saved_alpha or 16
    eva = load_torch_file(eva_path)
    eva = eva.get('model', eva) if 'cls_token' not in eva else eva
    tokenizer = AutoTokenizer.from_pretrained(llm_dir, trust_remote_code=False)
    config = build_config(eva, llm_dir, depth=eva_layers, heads=eva_heads, image_token_id=tokenizer.unk_token_id,
                          family=family)
    with torch.device('meta'):
        expected = set(MiniGPT4VideoForConditionalGeneration(config).state_dict())
    state, adapter, report = convert(ckpt_state, eva, load_state_dict(llm_dir), expected, depth=eva_layers,
                                     lora_r=lora_r, lora_alpha=lora_alpha, merge_lora=not lora_as_adapter,
                                     num_layers=config.text_config.num_hidden_layers)
    torch_dtype = getattr(torch, dtype) if dtype else (config.text_config.dtype or torch.float32)
    if isinstance(torch_dtype, str):
        torch_dtype = getattr(torch, torch_dtype)
    config.dtype = torch_dtype
    model = MiniGPT4VideoForConditionalGeneration.from_pretrained(None, config=config, state_dict=state,
                                                                  dtype=torch_dtype)
    if output.exists():
        shutil.rmtree(output)
    model.save_pretrained(output)
    vision = config.vision_config
    MiniGPT4VideoProcessor(tokenizer, image_size=vision.image_size, tokens_per_frame=config.tokens_per_frame,
                           image_token_id=config.image_token_id, num_frames=config.num_frames,
                           max_subtitle_words=config.max_subtitle_words).save_pretrained(output)
    if (llm_dir / 'generation_config.json').is_file():
        shutil.copy(llm_dir / 'generation_config.json', output / 'generation_config.json')
    if adapter is not None:
        write_adapter(output / 'lora_adapter', adapter, base=output, r=lora_r, alpha=lora_alpha)
    return report


def write_adapter(directory: Path, tensors: dict[str, torch.Tensor], *, base: Path, r: int, alpha: float) -> None:
    """A PEFT LoRA adapter on the LLM's q_proj/v_proj (``swift infer --model OUT --adapters OUT/lora_adapter``)."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    config = {'peft_type': 'LORA', 'task_type': None, 'r': r, 'lora_alpha': alpha, 'lora_dropout': 0.05,
              'bias': 'none', 'target_modules': r'^language_model\.model\.layers\.\d+\.self_attn\.(q_proj|v_proj)$',
              'base_model_name_or_path': str(base.resolve()), 'inference_mode': True, 'fan_in_fan_out': False,
              'modules_to_save': None, 'init_lora_weights': True}
    (directory / 'adapter_config.json').write_text(json.dumps(config, indent=2))
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(directory / 'adapter_model.safetensors'))
