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
from training.train import DEFAULT_TOKEN_BUDGET, Dist, ResponseLoss, run_step

ACCUMULATION = 128  # the reference's samples per optimizer step


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", required=True, help="dataset folder or Hub id")
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    p.add_argument("--samples", type=int, default=128, help="training samples each recipe sees")
    p.add_argument(
        "--micro-batch-tokens", type=int, default=None, help="default: the trainer's for the device"
    )
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


def reference_backward(peft_model, indices, samples, pad_id: int, device: str) -> None:
    """Micro-batch 1: each sample alone, the model's own loss (mean over its response) / 128."""
    for i in indices:
        batch = {n: t.to(device) for n, t in batching.collate([samples[i]], pad_id).items()}
        (peft_model(**batch).loss / ACCUMULATION).backward()


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def compare(samples, tokenizer, model_name: str, budget: int, seed: int, device: str):
    """Seconds for (reference, ours) over the same steps.

    The two recipes alternate micro-batch by micro-batch on the same samples, so both see the
    same machine conditions even when other work shares the CPU.
    """
    ref_model, ref_opt = lora_model(model_name, device, seed)
    our_model, our_opt = lora_model(model_name, device, seed)
    module, dist, pad_id = ResponseLoss(our_model), Dist(device=device), tokenizer.pad_token_id
    ref_s = our_s = 0.0
    for step in batching.plan_epoch(samples, ACCUMULATION, budget, seed, epoch=0):
        for indices in step.micro_batches:
            # One micro-batch of our plan, weighted by the whole step's response tokens.
            part = batching.Step([indices], len(indices), step.response_tokens)
            our_s += timed(run_step, module, part, samples, tokenizer, dist)
            ref_s += timed(reference_backward, ref_model, indices, samples, pad_id, device)
        our_s += timed(our_opt.step)
        ref_s += timed(ref_opt.step)
        our_opt.zero_grad(set_to_none=True)
        ref_opt.zero_grad(set_to_none=True)
    return ref_s, our_s


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tasks = [t for t in args.tasks.split(",") if t]
    args.micro_batch_tokens = args.micro_batch_tokens or DEFAULT_TOKEN_BUDGET[device]
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

    # A short warm-up first, so one-time costs (allocator, kernels) count for neither.
    compare(samples[:2], tokenizer, args.model, args.micro_batch_tokens, args.seed, device)
    ref_s, our_s = compare(
        samples, tokenizer, args.model, args.micro_batch_tokens, args.seed, device
    )
    lengths = [len(s.input_ids) for s in samples]
    plan = batching.plan_epoch(samples, ACCUMULATION, args.micro_batch_tokens, args.seed, 0)
    padded = sum(len(b) * lengths[b[0]] for step in plan for b in step.micro_batches)

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
