"""Non-LLM baselines. Each is fitted on a task's train records and answers test records with
raw text, exactly like a model, so the same parser and metrics score it.

- random:   a seeded guess (an option, a letter permutation, "None" triples, a snippet sentence)
- majority: the most frequent train answer (per attribute for AVE)
- classic:  TF-IDF + logistic regression (option tasks); co-occurrence, similarity to the
            last items and popularity (SR); TF-IDF query similarity (QPR); a train value
            dictionary (AVE); the evidence sentence most similar to the question (AG)
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from benchmark.parsing import parse_triples, ranking_letters
from benchmark.tasks import REGISTRY

BASELINES = ("random", "majority", "classic")
Predictor = Callable[[dict], str]


def _json(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def _leaves(obj, key: str = "") -> list[tuple[str, str]]:
    """(key, text) for every string in a JSON value; list items keep their parent's key."""
    if isinstance(obj, str):
        return [(key, obj)]
    if isinstance(obj, dict):
        return [leaf for k, v in obj.items() for leaf in _leaves(v, str(k))]
    if isinstance(obj, list):
        return [leaf for v in obj for leaf in _leaves(v, key)]
    return []


def _fields(record: dict) -> list[tuple[str, str]]:
    parsed = _json(record["input"])
    return _leaves(parsed) if isinstance(parsed, dict | list) else [("input", record["input"])]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _evidence(record: dict) -> tuple[str, list[str]]:
    """AG/AP inputs: the question, and the sentences of everything else."""
    question, rest = "", []
    for key, text in _fields(record):
        if "question" in key.lower() and not question:
            question = text
        else:
            rest.extend(_sentences(text))
    return question, rest or _sentences(record["input"])


def _triples_text(triples: Sequence[tuple[str, str, str]]) -> str:
    items = [{"attribute": a, "value": v, "source": s} for a, v, s in sorted(triples)]
    return json.dumps(items, ensure_ascii=False)


def _gold_triples(record: dict) -> list[tuple[str, str, str]]:
    return list(parse_triples(record["output"]) or ())


def _target_attributes(record: dict) -> list[str]:
    """The attributes a record asks for: its input's attribute list, else its output's names
    (the same list: the prompt names every target attribute)."""
    parsed = _json(record["input"])
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if "attribute" in key.lower() and isinstance(value, list):
                return [str(v) for v in value]
    return sorted({a for a, _, _ in _gold_triples(record)})


# ---------------------------------------------------------------------------- random


def _rng(seed: int, record: dict) -> random.Random:
    # Per-record seeding: the answer to a record does not depend on which others are scored.
    return random.Random(f"{seed}:{record['id']}")


def fit_random(task: str, train: Sequence[dict], seed: int = 0) -> Predictor:
    kind = REGISTRY[task].kind

    def predict(record: dict) -> str:
        rng = _rng(seed, record)
        if kind == "option":
            return rng.choice(record["options"])
        if kind == "ranking":
            letters = ranking_letters(record)
            rng.shuffle(letters)
            return ",".join(letters)
        if kind == "triples":
            return _triples_text([(a, "None", "None") for a in _target_attributes(record)])
        _, sentences = _evidence(record)
        return rng.choice(sentences) if sentences else ""

    return predict


# ---------------------------------------------------------------------------- majority


def _most_common(counter: Counter, default: str) -> str:
    # Ties broken by text so the answer never depends on train order.
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else default


def fit_majority(task: str, train: Sequence[dict], seed: int = 0) -> Predictor:
    kind = REGISTRY[task].kind
    outputs = Counter(r["output"] for r in train)
    if kind == "option":

        def predict(record: dict) -> str:
            # Options vary per record for SR: take the option most often right in train.
            return max(record["options"], key=lambda o: (outputs[o], -record["options"].index(o)))

        return predict
    if kind == "ranking":
        by_letters = defaultdict(Counter)
        for r in train:
            by_letters[tuple(ranking_letters(r))][r["output"]] += 1
        return lambda record: _most_common(
            by_letters[tuple(ranking_letters(record))], ",".join(ranking_letters(record))
        )
    if kind == "triples":
        values = defaultdict(Counter)
        for r in train:
            for a, v, s in _gold_triples(r):
                values[a][(v, s)] += 1

        def predict(record: dict) -> str:
            attrs = _target_attributes(record)
            picks = [
                min(values[a].items(), key=lambda kv: (-kv[1], kv[0]))[0]
                if values[a]
                else ("None", "None")
                for a in attrs
            ]
            return _triples_text([(a, v, s) for a, (v, s) in zip(attrs, picks, strict=True)])

        return predict
    answer = _most_common(outputs, "")
    return lambda record: answer


# ---------------------------------------------------------------------------- classic


def _tfidf(texts: Sequence[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    vec.fit(list(texts) or ["empty"])
    return vec


def _fit_classifier(task: str, train: Sequence[dict], seed: int) -> Predictor:
    from sklearn.linear_model import LogisticRegression

    labels = [r["output"] for r in train]
    if len(set(labels)) < 2:
        return fit_majority(task, train, seed)
    vec = _tfidf([r["input"] for r in train])
    # Balanced classes: most headlines (macro F1, F1 of "yes") reward the rare classes.
    model = LogisticRegression(max_iter=1000, C=10.0, class_weight="balanced", random_state=seed)
    model.fit(vec.transform([r["input"] for r in train]), labels)
    classes = list(model.classes_)

    def predict(record: dict) -> str:
        proba = model.predict_proba(vec.transform([record["input"]]))[0]
        # Only the record's own options can be answered; unseen ones score 0.
        scored = {o: proba[classes.index(o)] if o in classes else 0.0 for o in record["options"]}
        return max(record["options"], key=lambda o: (scored[o], -record["options"].index(o)))

    return predict


_ITEM_NUMBER = re.compile(r"^\s*\d+\s*[.):]\s*")
_TITLE_FIELD = re.compile(r"title:\s*(.*?)(?:\s+\|\s+|$)", re.I)


def _history_titles(record: dict) -> list[str]:
    """The titles of a user's history: "title" fields of a JSON input, or one item per line of
    a text list ("1. Title: X | Brand: Y ...")."""
    parsed = _json(record["input"])
    if isinstance(parsed, dict | list):
        fields = _leaves(parsed)
        titles = [text for key, text in fields if key.lower() == "title"]
        return titles or [text for _, text in fields]
    titles = []
    for line in record["input"].splitlines():
        line = _ITEM_NUMBER.sub("", line).strip()
        match = _TITLE_FIELD.search(line)
        if line:
            titles.append(match.group(1).strip() if match else line)
    return titles


def _fit_sequential(task: str, train: Sequence[dict], seed: int) -> Predictor:
    """Score each option by how often it followed the user's last items in train (weighted by
    recency), then by TF-IDF similarity to those items, then by popularity."""
    from sklearn.metrics.pairwise import cosine_similarity

    follows: dict[str, Counter] = defaultdict(Counter)
    popularity = Counter()
    corpus = []
    for r in train:
        history = _history_titles(r)
        sequence = [*history, r["output"]]
        for prev, nxt in zip(sequence, sequence[1:], strict=False):
            follows[prev][nxt] += 1
        popularity.update(sequence)
        corpus += sequence
    vec = _tfidf(corpus)

    def predict(record: dict) -> str:
        options = record["options"]
        recent = _history_titles(record)[-3:][::-1]
        sims = cosine_similarity(vec.transform(options), vec.transform([" ".join(recent)]))[:, 0]

        def key(i: int):
            co = sum(follows[item][options[i]] / (rank + 1) for rank, item in enumerate(recent))
            return (co, round(float(sims[i]), 9), popularity[options[i]], -i)

        return options[max(range(len(options)), key=key)]

    return predict


def _fit_ranker(task: str, train: Sequence[dict], seed: int) -> Predictor:
    """Rank the lettered products by TF-IDF cosine similarity to the query."""
    from sklearn.metrics.pairwise import cosine_similarity

    def parts(record: dict) -> tuple[str, dict[str, str]]:
        data = _json(record["input"]) or {}
        products = data.get("products") if isinstance(data, dict) else None
        products = products if isinstance(products, dict) else {}
        return str(data.get("query", "")), {k: str(v) for k, v in products.items()}

    corpus = []
    for r in train:
        query, products = parts(r)
        corpus += [query, *products.values()]
    vec = _tfidf(corpus)

    def predict(record: dict) -> str:
        query, products = parts(record)
        letters = ranking_letters(record)
        texts = [products.get(letter, "") for letter in letters]
        sims = cosine_similarity(vec.transform([query]), vec.transform(texts))[0]
        order = sorted(range(len(letters)), key=lambda i: (-sims[i], letters[i]))
        return ",".join(letters[i] for i in order)

    return predict


def _fit_value_dictionary(task: str, train: Sequence[dict], seed: int) -> Predictor:
    """Per attribute, the values seen in train (frequent, then longer first); the first one found
    as a whole phrase in a product text is the answer, that text's field its source."""
    values: dict[str, Counter] = defaultdict(Counter)
    sources: dict[str, Counter] = defaultdict(Counter)
    for r in train:
        for a, v, s in _gold_triples(r):
            if v != "None":
                values[a][v] += 1
                sources[a][s] += 1
    known_sources = {s for c in sources.values() for s in c}
    ordered = {a: sorted(c, key=lambda v: (-c[v], -len(v), v)) for a, c in values.items()}

    def find(attribute: str, fields: list[tuple[str, str]]) -> tuple[str, str]:
        for value in ordered.get(attribute, []):
            pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.I)
            for key, text in fields:
                if pattern.search(text):
                    source = key if key in known_sources else _most_common(sources[attribute], key)
                    return value, source
        return "None", "None"

    def predict(record: dict) -> str:
        fields = [(k, t) for k, t in _fields(record) if "attribute" not in k.lower()]
        return _triples_text([(a, *find(a, fields)) for a in _target_attributes(record)])

    return predict


def _fit_evidence(task: str, train: Sequence[dict], seed: int) -> Predictor:
    """Answer with the evidence sentence most similar (TF-IDF cosine) to the question."""
    from sklearn.metrics.pairwise import cosine_similarity

    corpus = []
    for r in train:
        question, sentences = _evidence(r)
        corpus += [question, *sentences]
    vec = _tfidf(corpus)

    def predict(record: dict) -> str:
        question, sentences = _evidence(record)
        if not sentences:
            return ""
        sims = cosine_similarity(vec.transform([question]), vec.transform(sentences))[0]
        return sentences[max(range(len(sentences)), key=lambda i: (sims[i], -i))]

    return predict


CLASSIC = {
    "sequential_recommendation": _fit_sequential,
    "query_product_ranking": _fit_ranker,
    "attribute_value_extraction": _fit_value_dictionary,
    "answer_generation": _fit_evidence,
}


def fit_classic(task: str, train: Sequence[dict], seed: int = 0) -> Predictor:
    return CLASSIC.get(task, _fit_classifier)(task, train, seed)


FITTERS = {"random": fit_random, "majority": fit_majority, "classic": fit_classic}


def predict(
    name: str, task: str, train: Sequence[dict], records: Sequence[dict], seed: int = 0
) -> list[str]:
    """Raw answers of baseline `name`, fitted on `train`, for `records`."""
    if name not in FITTERS:
        raise ValueError(f"unknown baseline {name!r}; choose one of {', '.join(BASELINES)}")
    if name != "random" and not train:
        raise ValueError(f"baseline {name!r} needs train records for {task}")
    predictor = FITTERS[name](task, train, seed)
    return [predictor(r) for r in records]
