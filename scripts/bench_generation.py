"""Throughput of the benchmark's generation vs the reference evaluation setting.

Ours: batched greedy decoding, one shared prefix cache per instruction wording, prompts sorted
by length, left padding, per-task answer budgets (benchmark.tasks.REGISTRY). Reference
(eCeLLM's inference.py): batches of 2 in prompt order, sampling with temperature 0.15 and top_p 0.95, 100 new tokens for every task. Both get the
same prompts (the trainer's alpaca prompt over the same test records) and the same model.

    python scripts/bench_generation.py --dataset out/ecinstruct --model smollm2-135m \\
        --tasks SA,PM,PRP,AP,QPR,AG --per-task 8
"""

from __future__ import annotations

import argparse
import json
import sys
import time

REFERENCE = {"batch_size": 2, "max_new_tokens": 100, "temperature": 0.15, "top_p": 0.95}


def load_prompts(dataset: str, tasks: list[str], per_task: int, split: str):
    import datasets

    from training.prompt import build_prompt

    out = {}
    for task in tasks:
        records = datasets.load_dataset(dataset, task)[split]
        records = records.select(range(min(per_task, len(records)))).to_list()
        out[task] = (records, [build_prompt(r, "alpaca") for r in records])
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    from benchmark.tasks import REGISTRY

    by_short = {spec.short.lower(): name for name, spec in REGISTRY.items()}
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dataset", required=True, help="published dataset folder or Hub id")
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--tasks", default="SA,PM,PRP,AP,QPR,AG", help="task names or short names")
    p.add_argument("--split", default="test_ind")
    p.add_argument("--per-task", type=int, default=8, help="records per task")
    p.add_argument("--batch-size", type=int, default=16, help="our batch size")
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--seed", type=int, default=0, help="seed of the reference's sampling")
    args = p.parse_args(argv)

    import torch

    from benchmark.generation import generate
    from benchmark.tasks import score
    from training.models import load_model_and_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    tasks = [by_short.get(t.strip().lower(), t.strip()) for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in REGISTRY]
    if unknown:
        print(f"error: unknown task(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    model, tokenizer = load_model_and_tokenizer(args.model, device="cpu")
    prompts = load_prompts(args.dataset, tasks, args.per_task, args.split)
    generate(model, tokenizer, ["warm-up"], 2)  # first-call costs belong to neither setting

    rows, total = [], {"ours": 0.0, "reference": 0.0}
    torch.manual_seed(args.seed)
    for task, (records, texts) in prompts.items():
        (ours, _), t_ours = timed(
            lambda texts=texts, task=task, records=records: generate(
                model,
                tokenizer,
                texts,
                REGISTRY[task].max_new_tokens,
                args.batch_size,
                groups=[r["instruction"] for r in records],
            )
        )
        (ref, _), t_ref = timed(
            lambda texts=texts: generate(
                model,
                tokenizer,
                texts,
                REFERENCE["max_new_tokens"],
                REFERENCE["batch_size"],
                sort_by_length=False,
                reuse_prefix=False,
                stop=None,
                temperature=REFERENCE["temperature"],
                top_p=REFERENCE["top_p"],
            )
        )
        total["ours"] += t_ours
        total["reference"] += t_ref
        rows.append(
            {
                "task": task,
                "n": len(texts),
                "ours_s": round(t_ours, 2),
                "reference_s": round(t_ref, 2),
                "ours_invalid": score(task, records, ours, embed=False)["invalid"],
                "reference_invalid": score(task, records, ref, embed=False)["invalid"],
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    n = sum(r["n"] for r in rows)
    report = {
        "model": args.model,
        "dataset": args.dataset,
        "split": args.split,
        "samples": n,
        "threads": torch.get_num_threads(),
        "ours": {
            "batch_size": args.batch_size,
            "decoding": "greedy",
            "samples_per_s": round(n / total["ours"], 3),
        },
        "reference": {
            **REFERENCE,
            "decoding": "sampling",
            "samples_per_s": round(n / total["reference"], 3),
        },
        "speedup": round(total["reference"] / total["ours"], 2),
        "per_task": rows,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
