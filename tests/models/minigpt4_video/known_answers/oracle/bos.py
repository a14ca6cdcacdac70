"""BOS handling: official get_context_emb (inference) and prompt_wrap + forward's BOS (training) on a tiny
sentencepiece Llama tokenizer (slow LlamaTokenizer, as the official loads it)."""
import json
import pathlib
import sys
import types

import harness as H
import sentencepiece as spm
import torch
from transformers import LlamaTokenizer

d = json.loads(pathlib.Path(sys.argv[1]).read_text())
text = '\n'.join(c['inference']['prompt'] + '\n' + c['train']['text'] for c in d['cases'].values()) * 3
spm.SentencePieceTrainer.train(sentence_iterator=iter(text.split('\n')), model_prefix='/work/oracle/minigpt4/work/sp',
                               vocab_size=120, model_type='bpe', unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                               byte_fallback=False, character_coverage=1.0)
tok = LlamaTokenizer('/work/oracle/minigpt4/work/sp.model', legacy=False)
tok.pad_token = tok.unk_token
self = types.SimpleNamespace(llama_tokenizer=tok, embed_tokens=lambda ids: ids.unsqueeze(-1).float(),
                             max_context_len=4000)
case = d['cases']['rules']
prompt = case['inference']['prompt']
T = prompt.count('<ImageHere>')
img = [torch.full((1, 2, 1), -1.0) for _ in range(T)]
ids = H.model_ns['get_context_emb'](self, prompt, img)[0, :, 0].long().tolist()
segs = prompt.split('<ImageHere>')
seg_bos = []
for i, s in enumerate(segs):
    t = tok(s, add_special_tokens=(i == 0)).input_ids
    seg_bos.append(sum(1 for x in t if x == tok.bos_token_id))
res = {'inference_leading_bos': next(i for i, x in enumerate(ids) if x != tok.bos_token_id),
       'inference_bos_per_segment': seg_bos, 'inference_segments': segs}
instr = '[INST] ' + case['train']['instruction'] + '[/INST]'
emb, att = H.model_ns['prompt_wrap'](self, torch.full((1, T, 2, 1), -1.0), None, [instr], [T])
n = int(att.sum())
tids = emb[0, :n, 0].long().tolist()
res['train_prompt_bos_count'] = sum(1 for x in tids if x == tok.bos_token_id)
res['train_segments'] = instr.split('<ImageHere>')
res['_note'] = ('training: forward() prepends one BOS embedding before the prompt_wrap output '
                '(mini_gpt4_llama_v2.py forward); answer tokenised as answer + "</s>" without special tokens')
print(json.dumps({k: v for k, v in res.items() if 'segments' not in k}))
pathlib.Path(sys.argv[2]).write_text(json.dumps(res, indent=1))
