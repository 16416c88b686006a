import torch

from training import batching
from training.data import IGNORE_INDEX, Encoded


def _samples(lengths, prompt=3):
    return [Encoded(list(range(1, n + 1)), min(prompt, n - 1)) for n in lengths]


def test_pack_respects_budget_and_covers_every_sample():
    lengths = [5, 17, 3, 9, 40, 12, 8, 8, 2]
    batches = batching.pack(range(len(lengths)), lengths, token_budget=32)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(len(lengths)))
    for b in batches:
        widths = [lengths[i] for i in b]
        assert widths == sorted(widths, reverse=True)
        assert len(b) == 1 or len(b) * max(widths) <= 32
    assert [4] in batches  # longer than the budget: alone


def test_pack_keeps_long_and_short_samples_apart():
    lengths = [400] * 5 + [100] * 40
    batches = batching.pack(range(len(lengths)), lengths, token_budget=4096)
    for b in batches:
        assert len({lengths[i] for i in b}) == 1
    padded = sum(len(b) * lengths[b[0]] for b in batches)
    assert padded == sum(lengths)
    assert len(batches) == 2


def test_epoch_plan_keeps_reference_steps():
    samples = _samples([5, 17, 3, 9, 40, 12, 8, 8, 2, 30])
    steps = batching.plan_epoch(samples, batch_size=4, token_budget=40, seed=1, epoch=0)
    order = batching.epoch_order(len(samples), 1, 0)
    assert [s.samples for s in steps] == [4, 4, 2]
    for k, step in enumerate(steps):
        chunk = order[4 * k : 4 * k + 4]
        assert sorted(i for b in step.micro_batches for i in b) == sorted(chunk)
        lengths = [len(samples[i].input_ids) - samples[i].prompt_len for i in chunk]
        assert step.response_tokens == sum(lengths)
    assert batching.epoch_order(10, 1, 1) != order


def test_shards_split_each_step_between_ranks():
    samples = _samples([5, 17, 3, 9, 40, 12, 8, 8, 2, 30, 6, 7])
    whole = batching.plan_epoch(samples, 6, 20, seed=0, epoch=0)
    parts = [batching.plan_epoch(samples, 6, 20, 0, 0, rank=r, world=2) for r in range(2)]
    for k, step in enumerate(whole):
        mine = [parts[r][k].micro_batches for r in range(2)]
        assert sorted(mine[0] + mine[1]) == sorted(step.micro_batches)
        assert all(parts[r][k].response_tokens == step.response_tokens for r in range(2))


def test_collate_pads_and_masks():
    samples = [Encoded([7, 8, 9, 10, 11], 3), Encoded([4, 5, 6], 1)]
    batch = batching.collate(samples, pad_id=0)
    assert batch["input_ids"].tolist() == [[7, 8, 9, 10, 11], [4, 5, 6, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1] * 5, [1, 1, 1, 0, 0]]
    m = IGNORE_INDEX
    assert batch["labels"].tolist() == [[m, m, m, 10, 11], [m, 5, 6, m, m]]
    assert batch["labels"].dtype == torch.long
