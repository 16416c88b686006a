"""Throughput of the benchmark's generation vs the reference evaluation setting.

Ours: batched greedy decoding, one shared prefix cache per instruction wording, on CPU each
prompt processed on its own (no padding) before its batch decodes together, prompts sorted by
length, left padding, per-task answer budgets (benchmark.tasks.REGISTRY). Reference
(eCeLLM's inference.py): batches of 2 in prompt order, sampling with temperature 0.15 and top_p 0.95, 100 new tokens for every task. Both get the
same prompts (the trainer's alpaca prompt over the same test records) and the same model.

Each task is timed on the first `--per-task` records of every split in `--splits`, a call per
(task, split) as `python -m benchmark run` makes them. The default pairs a seen-wording split
with its unseen-wording twin, the mix of the runner's default four splits: in test_ind each
record has one of the five seen wordings, in an unseen split all share the sixth.

    python scripts/bench_generation.py --dataset out/ecinstruct --model smollm2-135m \\
        --tasks SA,PM,PRP,AP,QPR,AG --per-task 8
"""

from __future__ import annotations

import argparse
import json
import sys
import time

REFERENCE = {"batch_size": 2, "max_new_tokens": 100, "temperature": 0.15, "top_p": 0.95}


def load_prompts(dataset: str, tasks: list[str], per_task: int, splits: list[str]):
    """{(task, split): (records, prompts)} for the splits each task has."""
    import datasets

    from training.prompt import build_prompt

    out = {}
    for task in tasks:
        ds = datasets.load_dataset(dataset, task)
        for split in splits:
            if split not in ds:
                print(f"note: {task} has no {split} split", file=sys.stderr)
                continue
            records = ds[split].select(range(min(per_task, len(ds[split])))).to_list()
            out[task, split] = (records, [build_prompt(r, "alpaca") for r in records])
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    from benchmark.tasks import REGISTRY
    from ecinstruct.tasks import BY_SHORT

    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--dataset", required=True, help="published dataset folder or Hub id")
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--tasks", default="SA,PM,PRP,AP,QPR,AG", help="task names or short names")
    p.add_argument(
        "--splits",
        default="test_ind,test_ind_unseen_instruction",
        help="comma-separated test splits, each timed on its own",
    )
    p.add_argument("--per-task", type=int, default=8, help="records per task and split")
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
    tasks = [BY_SHORT.get(t.strip().lower(), t.strip()) for t in args.tasks.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in REGISTRY]
    if unknown:
        print(f"error: unknown task(s) {', '.join(unknown)}", file=sys.stderr)
        return 2
    model, tokenizer = load_model_and_tokenizer(args.model, device="cpu")
    splits = [s.strip() for s in args.splits.split(",") if s.strip()]
    prompts = load_prompts(args.dataset, tasks, args.per_task, splits)
    generate(model, tokenizer, ["warm-up"], 2)  # first-call costs belong to neither setting

    rows, total = [], {"ours": 0.0, "reference": 0.0}
    torch.manual_seed(args.seed)
    for (task, split), (records, texts) in prompts.items():
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
                prefill_rows=False,
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
                "split": split,
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
        "splits": splits,
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
