"""A tiny dataset folder in the published layout, from synthetic records for all 10 tasks.

Every task carries an easy lexical signal, so trained baselines have something to learn, and
every output follows the per-task output contract exactly (option texts, "B,A,C" rankings,
sorted AVE JSON lists, QPR gold_labels in letter order).
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import polars as pl
import pytest
import yaml

from ecinstruct.records import RECORD_SCHEMA, SPLIT_SETTINGS, UNSEEN_OF
from ecinstruct.tasks import REGISTRY

YES_NO = ["yes", "no"]
SA_OPTIONS = ["very positive", "positive", "neutral", "negative", "very negative"]
SA_WORDS = dict(zip(SA_OPTIONS, ["superb", "good", "okay", "poor", "terrible"], strict=True))
PRP_OPTIONS = [
    "Users who buy product 1 may also buy product 2.",
    "Users who view product 1 may also view product 2.",
    "Product 1 is similar to product 2.",
]
PRP_WORDS = dict(zip(PRP_OPTIONS, ["bundle", "browse", "lookalike"], strict=True))
MPC_OPTIONS = ["exact", "substitute", "complement", "irrelevant"]
MPC_WORDS = dict(
    zip(MPC_OPTIONS, ["precise", "alternative", "accessory", "unrelated"], strict=True)
)
NOUNS = ["kettle", "lamp", "drill", "mug", "headset", "blender", "router", "tent"]
CATALOGUE = [f"Item {k} {NOUNS[k % len(NOUNS)]} model {k * 7}" for k in range(30)]
OOD_TASKS = {
    "attribute_value_extraction",
    "product_relation_prediction",
    "sentiment_analysis",
    "sequential_recommendation",
    "answerability_prediction",
    "answer_generation",
}
SIZES = {"train": 40, "validation": 4, "test_ind": 12, "test_ood": 12}


def _option(rng: random.Random, options: list[str], words: dict[str, str]) -> tuple[str, str]:
    label = rng.choice(options)
    return label, words[label]


def sentiment_analysis(rng, i):
    label, word = _option(rng, SA_OPTIONS, SA_WORDS)
    noun = rng.choice(NOUNS)
    text = f"This {noun} is {word}, I used it for {rng.randint(2, 9)} weeks and it is {word}."
    return {"input": text, "options": SA_OPTIONS, "output": label}


def product_relation_prediction(rng, i):
    label, word = _option(rng, PRP_OPTIONS, PRP_WORDS)
    a, b = rng.sample(NOUNS, 2)
    inp = {"product 1": f"{a} {word} pack", "product 2": f"{b} {word} set"}
    return {"input": json.dumps(inp), "options": PRP_OPTIONS, "output": label}


def _yes_no(rng, yes_word, no_word, make):
    label = rng.choice(YES_NO)
    return label, make(yes_word if label == "yes" else no_word)


def product_matching(rng, i):
    noun = rng.choice(NOUNS)
    label, inp = _yes_no(
        rng,
        "identical",
        "different",
        lambda w: {"product 1": f"{noun} 500", "product 2": f"{w} {noun} listing"},
    )
    return {"input": json.dumps(inp), "options": YES_NO, "output": label}


def sequential_recommendation(rng, i):
    start = rng.randrange(len(CATALOGUE))
    length = rng.randint(3, 6)
    history = [CATALOGUE[(start + k) % len(CATALOGUE)] for k in range(length)]
    gold = CATALOGUE[(start + length) % len(CATALOGUE)]
    negatives = rng.sample([t for t in CATALOGUE if t != gold and t not in history], 19)
    options = [gold, *negatives]
    rng.shuffle(options)
    inp = {"history": [{"title": t, "brand": "Acme"} for t in history]}
    return {"input": json.dumps(inp), "options": options, "output": gold}


def multiclass_product_classification(rng, i):
    label, word = _option(rng, MPC_OPTIONS, MPC_WORDS)
    noun = rng.choice(NOUNS)
    inp = {"query": f"{noun} for home", "product title": f"{word} {noun} deluxe"}
    return {"input": json.dumps(inp), "options": MPC_OPTIONS, "output": label}


def product_substitute_identification(rng, i):
    noun = rng.choice(NOUNS)
    label, inp = _yes_no(
        rng, "alternative", "precise", lambda w: {"query": noun, "product title": f"{w} {noun}"}
    )
    return {"input": json.dumps(inp), "options": YES_NO, "output": label}


def query_product_ranking(rng, i):
    noun = rng.choice(NOUNS)
    texts = {
        "E": f"{noun} exact original",
        "S": f"{noun} generic copy",
        "C": f"cable for {rng.choice(NOUNS)}",
        "I": f"garden {rng.choice(['hose', 'rake', 'seeds'])}",
    }
    labels = rng.sample("ESCI", rng.randint(2, 4))
    letters = "ABCD"[: len(labels)]
    products = {letter: texts[label] for letter, label in zip(letters, labels, strict=True)}
    order = sorted(letters, key=lambda letter: "ESCI".index(labels[letters.index(letter)]))
    inp = {"query": f"{noun} exact", "products": products}
    return {
        "input": json.dumps(inp),
        "options": None,
        "output": ",".join(order),
        "gold_labels": labels,
    }


def answerability_prediction(rng, i):
    label, snippets = _yes_no(
        rng,
        "the size is 12 inches wide",
        "nice colour overall",
        lambda s: [s, "shipping was fast"],
    )
    inp = {"question": "how wide is it?", "review snippets": snippets}
    return {"input": json.dumps(inp), "options": YES_NO, "output": label}


def attribute_value_extraction(rng, i):
    color = rng.choice(["red", "blue", "green", "black"])
    size = rng.choice(["small", "large"])
    noun = rng.choice(NOUNS)
    has_size = rng.random() < 0.5
    inp = {
        "product title": f"{color} {noun} deluxe",
        "product description": f"A {size} {noun} for everyday use." if has_size else "Sturdy.",
        "target attributes": ["Color", "Size"],
    }
    triples = [
        {"attribute": "Color", "value": color, "source": "product title"},
        {
            "attribute": "Size",
            "value": size if has_size else "None",
            "source": "product description" if has_size else "None",
        },
    ]
    return {"input": json.dumps(inp), "options": None, "output": json.dumps(triples)}


def answer_generation(rng, i):
    noun = rng.choice(NOUNS)
    answer = f"The {noun} works with any standard {rng.choice(['outlet', 'battery', 'charger'])}."
    snippets = [answer, f"I bought this {noun} for my son.", "Delivery took a week."]
    rng.shuffle(snippets)
    inp = {"question": f"What does the {noun} work with?", "review snippets": snippets}
    return {"input": json.dumps(inp), "options": None, "output": answer}


# One synthetic-record maker per registered task, named after it: a new task without a maker
# fails here, not silently.
MAKERS = {name: globals()[name] for name in REGISTRY}


def task_records(task: str, sizes: dict[str, int] = SIZES, seed: int = 0) -> pl.DataFrame:
    rng = random.Random(f"{seed}:{task}")
    rows = []
    for split, n in sizes.items():
        if split == "test_ood" and task not in OOD_TASKS:
            continue
        for i in range(n):
            sample = {"gold_labels": None, **MAKERS[task](rng, i)}
            wording = rng.randrange(5)
            for s in (split, UNSEEN_OF.get(split)):
                if s is None:
                    continue
                unseen = s != split
                w = 5 if unseen else wording
                setting = SPLIT_SETTINGS[s]
                key = json.dumps([task, setting, sample["input"], sample["output"]])
                rows.append(
                    {
                        "id": hashlib.sha256(key.encode()).hexdigest()[:20],
                        "task": task,
                        "setting": setting,
                        "split": s,
                        "instruction": f"Instruction wording {w} for {task.replace('_', ' ')}.",
                        "input": sample["input"],
                        "options": sample["options"],
                        "output": sample["output"],
                        "instruction_id": f"{task}/{w}",
                        "product_ids": [f"P{seed}{i}"],
                        "category": "Electronics",
                        "source": "synthetic",
                        "gold_labels": sample["gold_labels"],
                    }
                )
    return pl.DataFrame(rows, schema=RECORD_SCHEMA)


def build_dataset(root: Path, tasks=tuple(MAKERS), sizes: dict[str, int] = SIZES) -> Path:
    """Write data/<task>/<split>-00000-of-00001.parquet and a README.md with `configs:`."""
    configs = [{"config_name": "all", "data_files": []}]
    splits_seen: set[str] = set()
    for task in tasks:
        df = task_records(task, sizes)
        files = []
        for split in SPLIT_SETTINGS:
            part = df.filter(pl.col("split") == split)
            if part.is_empty():
                continue
            path = root / "data" / task / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            part.write_parquet(path)
            files.append({"split": split, "path": f"data/{task}/{split}-*.parquet"})
            splits_seen.add(split)
        configs.append({"config_name": task, "data_files": files})
    configs[0]["data_files"] = [
        {"split": s, "path": f"data/*/{s}-*.parquet"} for s in SPLIT_SETTINGS if s in splits_seen
    ]
    meta = yaml.safe_dump({"configs": configs}, sort_keys=False)
    (root / "README.md").write_text(f"---\n{meta}---\n\n# Synthetic ECInstruct\n")
    return root


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("ecinstruct") / "ds")


@pytest.fixture(scope="session")
def pm_only_dataset(tmp_path_factory) -> Path:
    """A dataset of product matching alone (no OOD split, no other task)."""
    return build_dataset(tmp_path_factory.mktemp("pm") / "ds", tasks=("product_matching",))
