"""Batched greedy generation with a transformers causal LM.

Speed comes from three choices: prompts are sorted by token length so a batch pads little;
padding is on the LEFT so every row's answer starts at the same position; and each task caps
its own answer length (a yes/no answer needs 4 tokens, not 100).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# A model that keeps writing after its answer starts a new alpaca section; the parser cuts there
# anyway, so generating past it is wasted time.
STOP = ("\n###",)


def generation_config(
    tokenizer, max_new_tokens: int, stop: Sequence[str] | None = None, **sampling
):
    """An explicit config, so a model's own defaults (temperature, top_p...) never leak in."""
    from transformers import GenerationConfig

    return GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=bool(sampling),
        num_beams=1,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        stop_strings=list(stop) if stop else None,
        **sampling,
    )


def context_limit(model) -> int | None:
    return getattr(model.config, "max_position_embeddings", None)


def generate(
    model,
    tokenizer,
    prompts: Sequence[str],
    max_new_tokens: int,
    batch_size: int = 16,
    add_special_tokens: bool = True,
    progress: Callable[[int], None] | None = None,
    sort_by_length: bool = True,
    stop: Sequence[str] | None = STOP,
    **sampling,
) -> tuple[list[str], int]:
    """Answers (new tokens only, special tokens dropped) in prompt order, and the number of
    prompts cut from the left to fit the model's context (counted, never silent).

    A row stops at EOS or at a `stop` string. `sampling` (e.g. temperature=0.15, top_p=0.95)
    switches greedy decoding to sampling; the benchmark never does, scripts/bench_generation.py
    does to time the reference setting.
    """
    import torch

    tokenizer.padding_side = "left"
    tokenizer.truncation_side = "left"
    ids = tokenizer(list(prompts), add_special_tokens=add_special_tokens)["input_ids"]
    limit = context_limit(model)
    budget = limit - max_new_tokens if limit else None
    truncated = sum(budget is not None and len(x) > budget for x in ids)
    if budget is not None:
        ids = [x[-budget:] for x in ids]
    order = list(range(len(ids)))
    if sort_by_length:
        # Longest first: a batch that does not fit in memory fails at once, not at the end.
        order.sort(key=lambda i: -len(ids[i]))
    config = generation_config(tokenizer, max_new_tokens, stop, **sampling)
    device = next(model.parameters()).device
    answers: list[str] = [""] * len(ids)
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        batch = tokenizer.pad({"input_ids": [ids[i] for i in rows]}, return_tensors="pt")
        batch = {k: v.to(device) for k, v in batch.items()}
        with torch.inference_mode():
            out = model.generate(**batch, generation_config=config, tokenizer=tokenizer)
        new = out[:, batch["input_ids"].shape[1] :]
        for i, text in zip(
            rows, tokenizer.batch_decode(new, skip_special_tokens=True), strict=True
        ):
            answers[i] = text
        if progress is not None:
            progress(len(rows))
    return answers, truncated
