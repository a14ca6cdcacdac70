"""Functions of the tiny_video_mc task: the video PATH as the visual, a lettered-options prompt, exact match."""

from __future__ import annotations

import string


def doc_to_visual(doc: dict) -> list[str]:
    return [doc['video']]


def doc_to_text(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    letters = string.ascii_uppercase[:len(doc['options'])]
    options = '\n'.join(f'({letter}) {option}' for letter, option in zip(letters, doc['options'], strict=True))
    return f"Question: {doc['question']}\nOptions:\n{options}\nAnswer with the option's letter."


def process_results(doc: dict, results: list[str]) -> dict[str, float]:
    return {'exact_match': float(results[0].strip() == doc['answer'].strip())}
