"""Generation with a tiny random Llama and a tokenizer trained on the spot (fast, offline)."""

import json

import datasets
import polars as pl
import pytest

from benchmark import __main__ as cli
from benchmark.generation import generate
from benchmark.tasks import REGISTRY
from training.prompt import build_prompt

CONTEXT = 160  # small on purpose: the longest prompts must be cut to fit


@pytest.fixture(scope="module")
def tiny_model(dataset_dir, tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    texts = []
    for task in ("sentiment_analysis", "answer_generation"):
        for r in datasets.load_dataset(str(dataset_dir), task)["train"].to_list():
            texts += [build_prompt(r), r["output"]]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<pad>", "<eos>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<eos>", pad_token="<pad>", unk_token="<unk>"
    )
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=CONTEXT,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    folder = tmp_path_factory.mktemp("tiny") / "model"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    # Ops this small gain nothing from threads, and on a busy machine waiting for a second
    # thread costs more than the op itself.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield folder, model, tokenizer
    torch.set_num_threads(threads)


def test_batched_left_padded_greedy_equals_one_by_one(tiny_model, dataset_dir):
    _, model, tokenizer = tiny_model
    records = datasets.load_dataset(str(dataset_dir), "answer_generation")["test_ind"].to_list()[:5]
    prompts = [build_prompt(r) for r in records]
    prompts[0] = prompts[0][:150]  # lengths must differ so left padding is exercised
    batched, _ = generate(model, tokenizer, prompts, 6, batch_size=5)
    single = [
        generate(model, tokenizer, [p], 6, batch_size=1, reuse_prefix=False, prefill_rows=False)[0][
            0
        ]
        for p in prompts
    ]
    assert batched == single
    assert all(isinstance(t, str) for t in batched)
    lengths = [len(tokenizer(p)["input_ids"]) for p in prompts]
    assert len(set(lengths)) > 1


@pytest.fixture
def prefix_passes(monkeypatch) -> list[int]:
    """The length of every shared-prefix pass `generate` makes, in order."""
    from benchmark import generation

    passes: list[int] = []
    real = generation._prefix_cache
    monkeypatch.setattr(
        generation,
        "_prefix_cache",
        lambda m, ids, d, e: passes.append(len(ids)) or real(m, ids, d, e),
    )
    return passes


def test_shared_prefix_cache_gives_the_same_answers(tiny_model, dataset_dir, prefix_passes):
    from benchmark import generation

    _, model, tokenizer = tiny_model
    shared = prefix_passes
    records = datasets.load_dataset(str(dataset_dir), "sentiment_analysis")["test_ind"].to_list()
    records = records[:8]
    # Short prompts, so the tiny model's context cuts none of them from the left.
    prompts = [f"{r['instruction']} Options: {r['options']}\n{r['input'][:30]}\n" for r in records]
    groups = [r["instruction"] for r in records]
    cached, _ = generate(model, tokenizer, prompts, 6, batch_size=3, groups=groups)
    sizes = [groups.count(g) for g in dict.fromkeys(groups)]
    # One prefix pass per wording with company (the lone ones share theirs with each other),
    # however the batches of 3 cut across the wordings.
    assert sum(n > 1 for n in sizes) >= 2 and any(n % 3 for n in sizes)
    assert sum(n > 1 for n in sizes) <= len(shared) <= sum(n > 1 for n in sizes) + 1
    assert min(shared) >= generation.MIN_SHARED_TOKENS
    shared.clear()
    plain, _ = generate(model, tokenizer, prompts, 6, batch_size=3, reuse_prefix=False)
    assert shared == []
    assert cached == plain
    with pytest.raises(ValueError, match="group keys"):
        generate(model, tokenizer, prompts, 6, groups=groups[:2])


def test_one_batch_holds_prefixes_of_different_lengths(tiny_model, dataset_dir, prefix_passes):
    """Two wordings with prefixes of different lengths and a lone prompt, all in one batch:
    every row's answer is the one it gets alone."""
    _, model, tokenizer = tiny_model
    shared = prefix_passes
    records = datasets.load_dataset(str(dataset_dir), "sentiment_analysis")["test_ind"].to_list()
    long_head = "Read the review below and say how the customer feels about the product. "
    short_head = "Classify the feeling of this review in one phrase. "
    heads = [long_head, long_head, short_head, short_head, short_head, "Sentiment? "]
    prompts = [
        h + r["input"][: 20 + 7 * k]
        for k, (h, r) in enumerate(zip(heads, records[:6], strict=True))
    ]
    groups = ["long", "long", "short", "short", "short", "lone"]
    mixed, _ = generate(model, tokenizer, prompts, 6, batch_size=6, groups=groups)
    assert len(shared) == 2 and shared[0] != shared[1]
    # Alone: plain transformers generation, one prompt, no cache spliced in.
    alone = [
        generate(model, tokenizer, [p], 6, batch_size=1, reuse_prefix=False, prefill_rows=False)[0][
            0
        ]
        for p in prompts
    ]
    assert mixed == alone
    # Prompts processed as one padded batch (the GPU default) give the same answers.
    padded, _ = generate(
        model, tokenizer, prompts, 6, batch_size=6, groups=groups, prefill_rows=False
    )
    assert padded == alone
    plain, _ = generate(model, tokenizer, prompts, 6, batch_size=6, reuse_prefix=False)
    assert plain == alone


def test_stop_string_ends_a_row_and_its_criterion_is_built_once(tiny_model):
    import torch

    from benchmark.generation import STOP, stopping_criteria

    _, _, tokenizer = tiny_model
    criteria = stopping_criteria(tokenizer, STOP)
    assert stopping_criteria(tokenizer, STOP)[0] is criteria[0]  # cached: it scans the vocab
    assert stopping_criteria(tokenizer, None) is None
    rows = [tokenizer("positive\n###")["input_ids"], tokenizer("positive\n")["input_ids"]]
    width = max(map(len, rows))
    ids = torch.tensor([[tokenizer.pad_token_id] * (width - len(r)) + r for r in rows])
    assert criteria[0](ids, None).tolist() == [True, False]


def test_model_backend_through_the_runner(tiny_model, dataset_dir, tmp_path):
    folder, _, tokenizer = tiny_model
    out = tmp_path / "tiny"
    code = cli.main(
        [
            "run",
            "--dataset",
            str(dataset_dir),
            "--out",
            str(out),
            "--model",
            str(folder),
            "--tasks",
            "SA,AG",
            "--splits",
            "test_ind",
            "--limit",
            "4",
            "--batch-size",
            "3",
            "--no-embed",
            "--no-progress",
        ]
    )
    assert code == 0
    scores = json.loads((out / "scores.json").read_text())
    table = pl.read_parquet(out / "predictions.parquet")
    assert table.height == 8
    for task in ("sentiment_analysis", "answer_generation"):
        result = scores[task]["test_ind"]
        rows = table.filter(pl.col("task") == task)
        assert result["n"] == 4
        assert result["invalid"] == (~rows["valid"]).sum()
        # prompts longer than the context minus the answer budget are cut, and counted
        records = datasets.load_dataset(str(dataset_dir), task)["test_ind"].to_list()[:4]
        budget = CONTEXT - REGISTRY[task].max_new_tokens
        too_long = sum(len(tokenizer(build_prompt(r))["input_ids"]) > budget for r in records)
        assert result["truncated"] == too_long
    assert scores["answer_generation"]["test_ind"]["truncated"] > 0
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == {
        "kind": "model",
        "model": str(folder),
        "adapter": None,
        "prompt": "alpaca",
    }


def test_an_adapter_that_does_not_load_is_a_one_line_error(
    tiny_model, dataset_dir, tmp_path, capsys
):
    from safetensors.torch import save_file

    folder, _, _ = tiny_model
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    # A LoRA adapter for layers this model does not have: peft refuses it at load time.
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "r": 2, "target_modules": ["no_such_proj"]})
    )
    save_file({}, adapter / "adapter_model.safetensors")
    out = tmp_path / "out"
    code = cli.main(
        ["run", "--dataset", str(dataset_dir), "--out", str(out), "--model", str(folder),
         "--adapter", str(adapter), "--tasks", "PM", "--splits", "test_ind", "--limit", "2",
         "--no-progress"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "Traceback" not in "\n".join(err)
    assert err[-1].startswith(f"error: cannot apply adapter {adapter} to model {folder}: "), err
    assert not out.exists()
