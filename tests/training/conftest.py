"""Fixtures for the trainer: a small dataset folder in the published layout and a tiny model.

Both are built on the spot (no downloads): records are synthetic, the tokenizer is a BPE
trained on them, the model is a 2-layer Llama from a config.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest

from ecinstruct.records import RECORD_SCHEMA
from training.prompt import HEADER, alpaca_prompt

SENTIMENTS = ["very positive", "positive", "neutral", "negative", "very negative"]
WORDS = (
    "great cheap battery screen quick broken lovely gift card sturdy cable charger soft warm "
    "bright loud quiet small large heavy light fast slow useful fine poor excellent awful"
).split()
SPLIT_SIZES = {"train": 24, "validation": 6, "test_ind": 4}


def _record(task: str, split: str, i: int, rng: random.Random) -> dict:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 30)))
    if task == "sentiment_analysis":
        instruction, options = "Rate the sentiment of this review.", SENTIMENTS
        output = SENTIMENTS[len(text) % 5]
        inp = text
    elif task == "product_matching":
        instruction, options = "Do the two products match?", ["yes", "no"]
        output = "yes" if i % 2 else "no"
        inp = json.dumps({"product 1": text, "product 2": text[::-1]})
    else:
        instruction, options = "Answer the question from the reviews.", None
        output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        inp = json.dumps({"question": "is it " + rng.choice(WORDS) + "?", "reviews": [text]})
    return {
        "id": f"{task}-{split}-{i}",
        "task": task,
        "setting": "IND_Diverse_Instruction",
        "split": split,
        "instruction": instruction,
        "input": inp,
        "options": options,
        "output": output,
        "instruction_id": f"{task}/0",
        "product_ids": [f"P{i}"],
        "category": "Gift_Cards",
        "source": "fixture",
        "gold_labels": None,
    }


def build_dataset(root: Path, tasks: tuple[str, ...], splits: dict[str, int]) -> Path:
    """A dataset folder like `ecinstruct build` writes: parquet per task/split + card configs."""
    rng = random.Random(0)
    configs = [
        {
            "config_name": "all",
            "data_files": [{"split": s, "path": f"data/*/{s}-*.parquet"} for s in splits],
        }
    ]
    for task in tasks:
        for split, n in splits.items():
            rows = [_record(task, split, i, rng) for i in range(n)]
            path = root / "data" / task / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pl.DataFrame(rows, schema=RECORD_SCHEMA).write_parquet(path)
        configs.append(
            {
                "config_name": task,
                "data_files": [{"split": s, "path": f"data/{task}/{s}-*.parquet"} for s in splits],
            }
        )
    lines = ["---", "configs:"]
    for config in configs:
        lines.append(f"- config_name: {config['config_name']}")
        lines.append("  data_files:")
        for entry in config["data_files"]:
            lines += [f"  - split: {entry['split']}", f"    path: {entry['path']}"]
    lines += ["---", "", "# Fixture dataset", ""]
    (root / "README.md").write_text("\n".join(lines))
    return root


TASKS = ("sentiment_analysis", "product_matching", "answer_generation")


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("dataset"), TASKS, SPLIT_SIZES)


@pytest.fixture(scope="session")
def no_validation_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dataset_no_val")
    return build_dataset(root, ("sentiment_analysis",), {"train": 4, "test_ind": 2})


def build_tiny_model(root: Path, corpus: list[str]) -> Path:
    """A 2-layer Llama and a BPE tokenizer trained on `corpus`, saved to `root`.

    The tokenizer has BOS/EOS but no pad token, like many base models.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<unk>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(corpus, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )
    LlamaForCausalLM(config).save_pretrained(root)
    tokenizer.save_pretrained(root)
    return root


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    rng = random.Random(1)
    corpus = [HEADER, alpaca_prompt("Rate the sentiment.", "x", SENTIMENTS)]
    for task in TASKS:
        for i in range(100):
            r = _record(task, "train", i, rng)
            corpus.append(alpaca_prompt(r["instruction"], r["input"], r["options"]) + r["output"])
    return build_tiny_model(tmp_path_factory.mktemp("tiny_model"), corpus)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Tiny models run fastest, and most reproducibly, on one thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
