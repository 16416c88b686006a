"""Training throughput: our length-grouped micro-batches vs the reference recipe.

The reference (eCeLLM's Hugging Face Trainer setup) feeds one sample per forward pass and
accumulates 128 of them per optimizer step, with the model's full-vocabulary loss. Ours packs the
same 128-sample steps into padded micro-batches under a token budget and computes logits at
response positions only (training/train.py). Both use the same model, LoRA settings (paper
defaults), samples, dtype and threads; tokens/s counts real prompt + response tokens (no padding).

Example:
    python scripts/bench_training.py --dataset build/real --model smollm2-135m --samples 128
"""

from __future__ import annotations

import argparse
import random
import sys
import time

import torch

from ecinstruct.errors import UserError
from training import batching
from training.data import encode_split, load_splits
from training.models import load_model, load_tokenizer, lora_target_modules
from training.train import Dist, ResponseLoss, run_step

ACCUMULATION = 128  # the reference's samples per optimizer step


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", required=True, help="dataset folder or Hub id")
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    p.add_argument("--samples", type=int, default=128, help="training samples each recipe sees")
    p.add_argument("--micro-batch-tokens", type=int, default=4096)
    p.add_argument("--max-length", type=int, default=2048)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def lora_model(model_name: str, device: str, seed: int):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = load_model(model_name, device=device)
    lora = LoraConfig(
        r=16, lora_alpha=16, lora_dropout=0.1, target_modules=lora_target_modules(model)
    )
    peft_model = get_peft_model(model, lora).train()
    params = [p for p in peft_model.parameters() if p.requires_grad]
    return peft_model, torch.optim.AdamW(params, lr=1e-4)


def reference(peft_model, optimizer, samples, pad_id: int, device: str) -> float:
    """Micro-batch 1, loss = the model's own mean over the sample's response tokens / 128."""
    start = time.perf_counter()
    for k, sample in enumerate(samples, 1):
        batch = {n: t.to(device) for n, t in batching.collate([sample], pad_id).items()}
        (peft_model(**batch).loss / ACCUMULATION).backward()
        if k % ACCUMULATION == 0 or k == len(samples):
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def ours(peft_model, optimizer, samples, tokenizer, budget: int, seed: int, device: str):
    """Length-grouped micro-batches inside each 128-sample step; returns (seconds, padded)."""
    module = ResponseLoss(peft_model)
    steps = batching.plan_epoch(samples, ACCUMULATION, budget, seed, epoch=0)
    padded = sum(len(b) * len(samples[b[0]].input_ids) for s in steps for b in s.micro_batches)
    start = time.perf_counter()
    for step in steps:
        run_step(module, step, samples, tokenizer, Dist(device=device))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start, padded


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tasks = [t for t in args.tasks.split(",") if t]
    try:
        tokenizer = load_tokenizer(args.model)
        records = list(load_splits(args.dataset, tasks)["train"])
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    random.Random(args.seed).shuffle(records)
    samples = encode_split(records[: args.samples], tokenizer, max_length=args.max_length).samples
    tokens = sum(len(s.input_ids) for s in samples)
    response = sum(len(s.input_ids) - s.prompt_len for s in samples)
    print(
        f"{len(samples)} samples, {tokens} tokens ({response} response), model {args.model}, "
        f"{device}, {torch.get_num_threads()} threads"
    )

    # A short warm-up for each, so one-time costs (allocator, kernels) count for neither.
    warm = samples[:4]
    model, opt = lora_model(args.model, device, args.seed)
    reference(model, opt, warm, tokenizer.pad_token_id, device)
    ref_s = reference(model, opt, samples, tokenizer.pad_token_id, device)
    del model, opt
    model, opt = lora_model(args.model, device, args.seed)
    ours(model, opt, warm, tokenizer, args.micro_batch_tokens, args.seed, device)
    our_s, padded = ours(model, opt, samples, tokenizer, args.micro_batch_tokens, args.seed, device)

    print(
        f"reference (micro-batch 1 x {ACCUMULATION}): {ref_s:8.1f} s  {tokens / ref_s:8.0f} tok/s"
    )
    print(
        f"ours (<= {args.micro_batch_tokens} tokens/micro-batch): {our_s:8.1f} s  "
        f"{tokens / our_s:8.0f} tok/s  (padding {padded / tokens - 1:.1%})"
    )
    print(f"speed-up: {ref_s / our_s:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
