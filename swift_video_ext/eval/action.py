"""Action-recognition accuracy of ``swift infer`` results (prediction in ``response``, reference in ``labels``).

Normalisation, applied to both sides before comparing: lower case; punctuation to spaces; the articles "a", "an",
"the" removed; whitespace collapsed ("The man is Playing guitar." → "man is playing guitar"). With a label list
(one class per line), each prediction is first mapped to the nearest class: a class whose normalised name appears
in the prediction wins (the longest such), else the class with the highest string similarity (difflib ratio) if
that ratio is at least ``min_similarity`` (default 0.5, ``swift-video eval action --min-similarity``); a prediction
below it stays as it is and counts as wrong.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

_ARTICLES = {'a', 'an', 'the'}
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def normalise(text: str | None) -> str:
    words = _PUNCTUATION.sub(' ', (text or '').lower()).split()
    return ' '.join(w for w in words if w not in _ARTICLES)


def map_to_class(prediction: str, classes: Sequence[str], min_similarity: float = 0.5) -> str:
    """The normalised class a normalised prediction names (contained, else most similar), or the prediction."""
    contained = [c for c in classes if c and re.search(rf'(^| ){re.escape(c)}( |$)', prediction)]
    if contained:
        return max(contained, key=len)
    best = max(classes, key=lambda c: difflib.SequenceMatcher(None, prediction, c).ratio(), default=None)
    if best is not None and difflib.SequenceMatcher(None, prediction, best).ratio() >= min_similarity:
        return best
    return prediction


def evaluate_actions(rows: Iterable[dict], classes: Sequence[str] | None = None, *, top_confusions: int = 10,
                     min_similarity: float = 0.5) -> dict:
    """Top-1 accuracy (percent), per-class accuracy and the most common (reference → prediction) confusions."""
    normalised_classes = [normalise(c) for c in classes] if classes else None
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # class -> [correct, total]
    confusions: Counter = Counter()
    correct = total = mapped = 0
    for row in rows:
        reference = normalise(row.get('labels'))
        prediction = normalise(row.get('response'))
        if normalised_classes:
            reference = map_to_class(reference, normalised_classes, 0.0)
            mapped_prediction = map_to_class(prediction, normalised_classes, min_similarity)
            mapped += mapped_prediction in normalised_classes
            prediction = mapped_prediction
        total += 1
        per_class[reference][1] += 1
        if prediction == reference:
            correct += 1
            per_class[reference][0] += 1
        else:
            confusions[(reference, prediction)] += 1
    result = {
        'count': total,
        'top1_accuracy': round(100.0 * correct / total, 2) if total else 0.0,
        'per_class_accuracy': {c: round(100.0 * ok / n, 2) for c, (ok, n) in sorted(per_class.items())},
        'top_confusions': [{'reference': r, 'prediction': p, 'count': n}
                           for (r, p), n in confusions.most_common(top_confusions)],
    }
    if normalised_classes:
        result['predictions_mapped_to_a_class'] = mapped
    return result


def read_label_list(path) -> list[str]:
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]
