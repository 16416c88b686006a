"""Batched greedy generation with a transformers causal LM.

Speed comes from five choices: prompts that share an instruction share its computation (the
key/value cache of their common token prefix is computed once per group and spliced into every
batch that holds one of its rows); on CPU each prompt's own tokens are processed one prompt at
a time, so no compute goes to padding, and only decoding runs batched; prompts are sorted by
length so a batch pads little; padding is on the LEFT of each row's own tokens so every row's
answer starts at the same position; and each task caps its own answer length (a yes/no answer
needs 4 tokens, not 100).

Rows of different groups can share a batch, so small groups never shrink the batches decoding
runs at. Each row is laid out as ``[padding][its group's prefix][padding][its own tokens]``:
the attention mask hides the padding and positions count only unmasked tokens, so every row
sees exactly the tokens and positions it would see alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

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
    prefill_rows: bool | None = None,
    **sampling,
) -> tuple[list[str], int]:
    """Answers (new tokens only, special tokens dropped) in prompt order, and the number of
    prompts cut from the left to fit the model's context (counted, never silent).

    A row stops at EOS or at a `stop` string. `sampling` (e.g. temperature=0.15, top_p=0.95)
    switches greedy decoding to sampling; the benchmark never does, scripts/bench_generation.py
    does to time the reference setting.

    `groups` (one key per prompt, e.g. its instruction) says which prompts share a prefix
    cache; prompts whose group shares nothing share what they have in common with each other.
    Without `groups` all prompts form one group. `reuse_prefix=False` recomputes every prompt
    in full (also the choice for models whose cache cannot be spliced, e.g. sliding windows).

    `prefill_rows` processes each prompt on its own (on top of its group's prefix) before the
    batch decodes together, so no compute goes to padding; a batch of prompts of mixed length
    would otherwise pad every row to the longest. Default: on CPU, where compute is what
    padding wastes and one prompt at a time already keeps the cores busy; not on GPUs, where
    a padded batch is cheaper than many small passes.
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
    splicable = _splicable(model)
    plan = _plan(ids, groups, reuse_prefix and splicable)
    order = [i for group in plan for i in _by_length(group.rows, ids, group.shared, sort_by_length)]
    owner = {i: g for g, group in enumerate(plan) for i in group.rows}
    last_use = {owner[i]: k // batch_size for k, i in enumerate(order)}
    config = generation_config(tokenizer, max_new_tokens, **sampling)
    stopper = stopping_criteria(tokenizer, stop)
    device = next(model.parameters()).device
    if prefill_rows is None:
        prefill_rows = device.type == "cpu"
    prefill_rows = prefill_rows and splicable
    extra = _last_logits_only(model)
    caches: dict[int, object] = {}  # group -> its prefix cache, kept from first to last use
    answers: list[str] = [""] * len(ids)
    for b, start in enumerate(range(0, len(order), batch_size)):
        rows = order[start : start + batch_size]
        for g in dict.fromkeys(owner[i] for i in rows):
            if plan[g].shared and g not in caches:
                prefix = ids[plan[g].rows[0]][: plan[g].shared]
                caches[g] = _prefix_cache(model, prefix, device, extra)
        prefixes = [(plan[owner[i]].shared, caches.get(owner[i])) for i in rows]
        if prefill_rows:  # all but each row's last token, one row at a time: no padding
            prefixes = [
                (len(ids[i]) - 1, _extend(model, cache, ids[i][n:-1], device, extra))
                for i, (n, cache) in zip(rows, prefixes, strict=True)
            ]
        batch, cache = _batch(tokenizer, [ids[i] for i in rows], prefixes, model, device)
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
        for g in [g for g in caches if last_use[g] == b]:
            del caches[g]
        if progress is not None:
            progress(len(rows))
    return answers, truncated


@dataclass
class _Group:
    rows: list[int]
    shared: int = 0  # tokens of prefix every row of the group starts with (0: none shared)


def _plan(ids: list[list[int]], groups: Sequence[Hashable] | None, reuse: bool) -> list[_Group]:
    """Prompts grouped by key (in order of first appearance), each group with the prefix its
    rows share. Rows whose group shares nothing (a lone prompt, a too-short common prefix) are
    gathered into one last group, which shares whatever prefix they have in common."""
    if not reuse:
        return [_Group(list(range(len(ids))))]
    keys = groups if groups is not None else [None] * len(ids)
    clusters: dict = {}
    for i, key in enumerate(keys):
        clusters.setdefault(key, []).append(i)
    plan, rest = [], []
    for members in clusters.values():
        shared = _common_prefix([ids[i] for i in members]) if len(members) > 1 else 0
        if shared:
            plan.append(_Group(members, shared))
        else:
            rest += members
    if rest:
        rest.sort()
        plan.append(_Group(rest, _common_prefix([ids[i] for i in rest]) if len(rest) > 1 else 0))
    return plan


def _by_length(members: list[int], ids: list[list[int]], shared: int, sort: bool) -> list[int]:
    # Longest first: a batch that does not fit in memory fails at once, not at the end.
    return sorted(members, key=lambda i: shared - len(ids[i])) if sort else list(members)


# A shorter shared prefix is not worth a forward pass of its own.
MIN_SHARED_TOKENS = 16


def _common_prefix(rows: list[list[int]]) -> int:
    """Tokens every row starts with, leaving each row at least one token of its own (the
    generation step needs an input), or 0 when fewer than MIN_SHARED_TOKENS would be shared."""
    first, n = rows[0], min(len(r) for r in rows) - 1
    for row in rows[1:]:
        n = next((k for k in range(n) if row[k] != first[k]), n)
    return n if n >= MIN_SHARED_TOKENS else 0


def _splicable(model) -> bool:
    """Whether prefix caches can be spliced into a batch: every layer keeps its whole key/value
    history (no sliding window, no recurrent state), as in Llama-style models."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    try:
        layers = DynamicCache(config=model.config).layers
    except Exception:  # noqa: BLE001 - an exotic config: do not reuse, just recompute
        return False
    return bool(layers) and all(type(layer) is DynamicLayer for layer in layers)


def _prefix_cache(model, prefix: list[int], device, extra: dict):
    return _extend(model, None, prefix, device, extra)


def _extend(model, cache, tokens: list[int], device, extra: dict):
    """A copy of `cache` (None: empty) with `tokens` processed on top of it, batch of one;
    `extra`: keyword arguments for the forward pass (see _last_logits_only)."""
    import copy

    import torch

    if not tokens:
        return cache
    with torch.inference_mode():
        out = model(
            input_ids=torch.tensor([tokens], device=device),
            past_key_values=copy.deepcopy(cache) if cache is not None else None,
            use_cache=True,
            **extra,
        )
    return out.past_key_values


def _last_logits_only(model) -> dict:
    """`logits_to_keep=1` where the model takes it: the vocabulary projection of every prompt
    position (a fifth of a small model's compute) is never used here."""
    import inspect

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return (
        {"logits_to_keep": 1}
        if "logits_to_keep" in inspect.signature(base.forward).parameters
        else {}
    )


def _batch(tokenizer, rows: list[list[int]], prefixes: list[tuple[int, object]], model, device):
    """Model inputs for one batch, and the key/value cache of the rows' shared prefixes.

    `prefixes[r]` is (length, cache) of row r's leading tokens already processed: the prefix it
    shares with its group, or all but its last token when prompts are processed one by one, or
    (0, None). Row r is laid out as ``[padding][its prefix][padding][its own tokens]``: the
    prefix part is as long as the batch's longest prefix and comes from the caches; the own
    part is processed here. The mask hides both paddings.
    """
    import torch

    width = max(n for n, _ in prefixes)
    own = tokenizer.pad(
        {"input_ids": [r[n:] for r, (n, _) in zip(rows, prefixes, strict=True)]},
        return_tensors="pt",
    )
    if not width:
        return {k: v.to(device) for k, v in own.items()}, None
    pad = tokenizer.pad_token_id
    head = torch.tensor(
        [[pad] * (width - n) + r[:n] for r, (n, _) in zip(rows, prefixes, strict=True)]
    )
    head_mask = torch.tensor([[0] * (width - n) + [1] * n for n, _ in prefixes])
    batch = {
        "input_ids": torch.cat([head, own["input_ids"]], dim=1).to(device),
        "attention_mask": torch.cat([head_mask, own["attention_mask"]], dim=1).to(device),
    }
    from transformers import DynamicCache

    some = next(c for n, c in prefixes if n)
    layers = []
    for k, layer in enumerate(some.layers):
        keys = layer.keys.new_zeros(
            (len(rows), *layer.keys.shape[1:-2], width, layer.keys.shape[-1])
        )
        values = layer.values.new_zeros(
            (len(rows), *layer.values.shape[1:-2], width, layer.values.shape[-1])
        )
        for r, (n, cache) in enumerate(prefixes):
            if n:
                keys[r, ..., width - n :, :] = cache.layers[k].keys[0]
                values[r, ..., width - n :, :] = cache.layers[k].values[0]
        layers.append((keys, values))
    return batch, DynamicCache(ddp_cache_data=layers, config=model.config)
