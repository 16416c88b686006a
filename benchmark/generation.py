"""Batched greedy generation with a transformers causal LM.

Speed comes from four choices: prompts that share an instruction share its computation (the
key/value cache of their common token prefix is computed once and reused by every batch of
the group); prompts are sorted by token length so a batch pads little; padding is on the LEFT
of each row's own tokens so every row's answer starts at the same position; and each task caps
its own answer length (a yes/no answer needs 4 tokens, not 100).

A batch that reuses a prefix is laid out as ``[shared prefix][padding][row's own tokens]``:
the attention mask hides the padding and positions count only unmasked tokens, so every row
sees exactly the tokens and positions it would see alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

# A model that keeps writing after its answer starts a new alpaca section; the parser cuts there
# anyway, so generating past it is wasted time.
STOP = ("\n###",)


def generation_config(tokenizer, max_new_tokens: int, **sampling):
    """An explicit config, so a model's own defaults (temperature, top_p...) never leak in."""
    from transformers import GenerationConfig

    return GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=bool(sampling),
        num_beams=1,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **sampling,
    )


_STOPPERS: dict = {}


def stopping_criteria(tokenizer, stop: Sequence[str] | None):
    """transformers' stop-string criterion, built once per tokenizer and stop strings: building
    it scans the whole vocabulary (about a second for a 49k vocabulary), which per batch would
    cost more than generating a short answer."""
    if not stop:
        return None
    from transformers import StoppingCriteriaList, StopStringCriteria

    key = (id(tokenizer), tuple(stop))
    if key not in _STOPPERS:
        _STOPPERS.clear()  # one tokenizer at a time is all a run uses
        _STOPPERS[key] = (tokenizer, StopStringCriteria(tokenizer, list(stop)))
    return StoppingCriteriaList([_STOPPERS[key][1]])


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
    groups: Sequence[Hashable] | None = None,
    reuse_prefix: bool = True,
    **sampling,
) -> tuple[list[str], int]:
    """Answers (new tokens only, special tokens dropped) in prompt order, and the number of
    prompts cut from the left to fit the model's context (counted, never silent).

    A row stops at EOS or at a `stop` string. `sampling` (e.g. temperature=0.15, top_p=0.95)
    switches greedy decoding to sampling; the benchmark never does, scripts/bench_generation.py
    does to time the reference setting.

    `groups` (one key per prompt, e.g. its instruction) says which prompts share a prefix
    cache: each group fills whole batches of its own, and the rest are batched together;
    without it all prompts form one group. `reuse_prefix=False` recomputes every prompt in
    full.
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
    if groups is not None and len(groups) != len(ids):
        raise ValueError(f"{len(groups)} group keys for {len(ids)} prompts")
    keys = groups if groups is not None and reuse_prefix else [None] * len(ids)
    clusters: dict = {}
    for i, key in enumerate(keys):
        clusters.setdefault(key, []).append(i)  # groups in order of first appearance
    # A group fills whole batches with its own shared prefix; what is left of each group
    # joins one pool, batched together (sharing whatever prefix the pool has in common), so
    # small groups never shrink the batches that decoding runs at.
    parts, pool = [], []
    for members in clusters.values():
        members = _by_length(members, ids, sort_by_length)
        whole = len(members) // batch_size * batch_size if len(clusters) > 1 else 0
        if whole:
            parts.append(members[:whole])
        pool += members[whole:]
    if pool:
        parts.append(_by_length(pool, ids, sort_by_length))
    config = generation_config(tokenizer, max_new_tokens, **sampling)
    stopper = stopping_criteria(tokenizer, stop)
    device = next(model.parameters()).device
    answers: list[str] = [""] * len(ids)
    for members in parts:
        reusable = reuse_prefix and len(members) > 1  # a lone prompt has no one to share with
        shared = _common_prefix([ids[i] for i in members]) if reusable else 0
        prefix = _prefix_cache(model, ids[members[0]][:shared], device) if shared else None
        for start in range(0, len(members), batch_size):
            rows = members[start : start + batch_size]
            batch, cache = _batch(tokenizer, [ids[i] for i in rows], shared, prefix, device)
            with torch.inference_mode():
                out = model.generate(
                    **batch,
                    past_key_values=cache,
                    generation_config=config,
                    stopping_criteria=stopper,
                )
            new = out[:, batch["input_ids"].shape[1] :]
            for i, text in zip(
                rows, tokenizer.batch_decode(new, skip_special_tokens=True), strict=True
            ):
                answers[i] = text
            if progress is not None:
                progress(len(rows))
    return answers, truncated


def _by_length(members: list[int], ids: list[list[int]], sort: bool) -> list[int]:
    # Longest first: a batch that does not fit in memory fails at once, not at the end.
    return sorted(members, key=lambda i: -len(ids[i])) if sort else list(members)


# A shorter shared prefix is not worth a forward pass of its own.
MIN_SHARED_TOKENS = 16


def _common_prefix(rows: list[list[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own (the
    generation step needs an input), or 0 when fewer than MIN_SHARED_TOKENS would be shared."""
    first, n = rows[0], min(len(r) for r in rows) - 1
    for row in rows[1:]:
        n = next((k for k in range(n) if row[k] != first[k]), n)
    return n if n >= MIN_SHARED_TOKENS else 0


def _prefix_cache(model, prefix: list[int], device):
    import torch

    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prefix], device=device), use_cache=True)
    return out.past_key_values


def _batch(tokenizer, rows: list[list[int]], shared: int, prefix, device):
    """Model inputs for one batch, and a fresh copy of the prefix cache sized to it."""
    import copy

    import torch

    if prefix is None:
        batch = tokenizer.pad({"input_ids": rows}, return_tensors="pt")
        return {k: v.to(device) for k, v in batch.items()}, None
    own = tokenizer.pad({"input_ids": [r[shared:] for r in rows]}, return_tensors="pt")
    head = torch.tensor([rows[0][:shared]] * len(rows))
    batch = {
        "input_ids": torch.cat([head, own["input_ids"]], dim=1).to(device),
        "attention_mask": torch.cat(
            [torch.ones_like(head), own["attention_mask"]], dim=1
        ).to(device),
    }
    cache = copy.deepcopy(prefix)
    cache.batch_repeat_interleave(len(rows))
    return batch, cache
