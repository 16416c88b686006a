"""Which samples go into which optimizer step and micro-batch, and how a micro-batch is padded.

An epoch is a seeded shuffle cut into steps of ``batch_size`` samples, exactly the samples the
reference recipe (micro-batch 1, gradient accumulation) would see in each step. Only *inside* a
step are samples grouped by length: sorted longest first and packed into micro-batches whose
padded size (count x longest) stays under a token budget. Grouping inside the step keeps each
optimizer step's gradient the same as the reference's while padding stays small; grouping across
steps would pad less but change which samples share a step.

Under data parallelism every rank computes the same plan and takes its share of each step's
micro-batches (balanced by padded tokens), like a ``DistributedSampler`` over length-grouped
batches.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from training.data import IGNORE_INDEX, Encoded


@dataclass(frozen=True)
class Step:
    """One optimizer step: this rank's micro-batches and the step's global totals."""

    micro_batches: list[list[int]]  # sample indices, this rank only (may be empty)
    samples: int  # in the whole step, all ranks
    response_tokens: int  # loss tokens in the whole step: the loss normaliser


def epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    """The seeded shuffle of sample indices for one epoch (same on every rank)."""
    order = list(range(n))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order


def pack(
    indices: Sequence[int],
    lengths: Sequence[int],
    token_budget: int,
    overhead: float | None = None,
) -> list[list[int]]:
    """Micro-batches of ``indices``, longest first, each with count x longest <= budget.

    Samples are sorted by length and cut into contiguous runs that minimise padded tokens plus
    a fixed cost per micro-batch (``overhead``, default budget/8 tokens: what one more
    forward/backward pass costs beyond its tokens). A greedy fill would put a few long samples
    and many short ones in one micro-batch and pad the short ones to the long length.
    A sample longer than the budget gets a micro-batch of its own. Longest first means an
    out-of-memory error, if any, shows up on the first micro-batch rather than hours later.
    """
    ordered = sorted(indices, key=lambda i: (-lengths[i], i))
    per_batch = token_budget / 8 if overhead is None else overhead
    n = len(ordered)
    best = [0.0] + [math.inf] * n  # best[k]: cheapest way to pack ordered[:k]
    start_of = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(end - 1, -1, -1):
            size, width = end - start, lengths[ordered[start]]
            if size > 1 and size * width > token_budget:
                break  # moving start left only makes the run longer and wider
            cost = best[start] + size * width + per_batch
            if cost < best[end]:
                best[end], start_of[end] = cost, start
    batches: list[list[int]] = []
    end = n
    while end:
        batches.append(ordered[start_of[end] : end])
        end = start_of[end]
    return batches[::-1]


def shard(
    batches: list[list[int]], lengths: Sequence[int], rank: int, world: int
) -> list[list[int]]:
    """This rank's share of a step's micro-batches, balancing padded tokens across ranks."""
    if world == 1:
        return batches
    load = [0] * world
    mine: list[list[int]] = []
    for batch in batches:  # already largest-first, so greedy balancing works well
        target = min(range(world), key=lambda r: (load[r], r))
        load[target] += len(batch) * lengths[batch[0]]
        if target == rank:
            mine.append(batch)
    return mine


def plan_epoch(
    samples: Sequence[Encoded],
    batch_size: int,
    token_budget: int,
    seed: int,
    epoch: int,
    rank: int = 0,
    world: int = 1,
) -> list[Step]:
    """All steps of one epoch; the last step holds the remainder when sizes do not divide."""
    lengths = [len(s.input_ids) for s in samples]
    order = epoch_order(len(samples), seed, epoch)
    steps = []
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        response = sum(lengths[i] - samples[i].prompt_len for i in chunk)
        batches = pack(chunk, lengths, token_budget)
        steps.append(Step(shard(batches, lengths, rank, world), len(chunk), response))
    return steps


def plan_eval(
    samples: Sequence[Encoded], token_budget: int, rank: int = 0, world: int = 1
) -> list[list[int]]:
    """This rank's micro-batches for a full pass over ``samples`` (no shuffling)."""
    lengths = [len(s.input_ids) for s in samples]
    return shard(pack(range(len(samples)), lengths, token_budget), lengths, rank, world)


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    return -(-n_samples // batch_size)


def collate(samples: Sequence[Encoded], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad to the longest sample; padding is masked from attention and loss."""
    width = max(len(s.input_ids) for s in samples)
    input_ids = torch.full((len(samples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(samples), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(samples), width), dtype=torch.long)
    for row, s in enumerate(samples):
        n = len(s.input_ids)
        input_ids[row, :n] = torch.tensor(s.input_ids)
        labels[row, s.prompt_len : n] = torch.tensor(s.input_ids[s.prompt_len :])
        attention_mask[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
