"""python -m benchmark run ...: a thin layer over benchmark.runner.run.

Example:
    python -m benchmark run --dataset build/ecinstruct --out results/smollm2 --model smollm2-135m \\
        --tasks sentiment_analysis,product_matching --splits test_ind --limit 50
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmark import backends
from benchmark.baselines import BASELINES
from benchmark.runner import TEST_SPLITS, RunConfig, dataset_build, run
from benchmark.tasks import REGISTRY
from ecinstruct import signals
from ecinstruct.config import check_seed
from ecinstruct.errors import UserError
from ecinstruct.tasks import BY_SHORT


def _names(
    value: str | None, known: dict[str, str] | None, allowed: tuple[str, ...], what: str
) -> list[str]:
    """The names a comma-separated --tasks/--splits value selects (None: all of them)."""
    if value is None:
        return list(allowed)
    out = []
    for item in (v.strip() for v in value.split(",") if v.strip()):
        name = (known or {}).get(item.lower(), item)
        if name not in allowed:
            raise UserError(f"unknown {what} {item!r}; choose from {', '.join(allowed)}")
        if name not in out:  # SA,sentiment_analysis: one task
            out.append(name)
    if not out:
        raise UserError(f"--{what}s {value!r} selects no {what}; choose from {', '.join(allowed)}")
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmark",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run",
        help="score one system on the test splits",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--dataset", required=True, help="dataset folder or Hugging Face Hub id")
    r.add_argument("--out", required=True, type=Path, help="results folder, e.g. results/NAME")
    source = r.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--model",
        help="model alias (smollm2-135m), folder or Hub id; with --endpoint, the served model name",
    )
    source.add_argument(
        "--predictions",
        help='JSONL file of {"id", "prediction"}, or "gold" (self-check: scores 1.0)',
    )
    source.add_argument("--baseline", choices=BASELINES)
    r.add_argument("--adapter", help="peft (LoRA) adapter folder for --model")
    r.add_argument("--endpoint", help="OpenAI-compatible server URL (uses /v1/completions)")
    r.add_argument(
        "--engine",
        choices=("hf", "vllm"),
        default="hf",
        help="local generation engine for --model (vllm: GPU only)",
    )
    r.add_argument("--tasks", help="comma-separated task names or short names (default: all)")
    r.add_argument("--splits", help="comma-separated test splits (default: all four)")
    r.add_argument("--limit", type=int, help="score only the first N records of each split")
    r.add_argument("--batch-size", type=int, default=16)
    r.add_argument(
        "--prompt",
        choices=("alpaca", "chat"),
        default="alpaca",
        help="the trainer's alpaca prompt, or the model's chat template",
    )
    r.add_argument("--seed", type=int, default=0, help="seed of the random baseline")
    r.add_argument(
        "--no-embed", action="store_true", help="skip the AG embedding-similarity metric"
    )
    r.add_argument("--no-progress", action="store_true")
    return p


def make_backend(args):
    if args.adapter and not args.model:
        raise UserError("--adapter goes with --model")
    if args.endpoint:
        if not args.model:
            raise UserError("--endpoint needs --model NAME (the name the server serves)")
        return backends.EndpointBackend(args.endpoint, args.model, args.prompt, args.batch_size)
    if args.predictions:
        return backends.PredictionsBackend(args.predictions)
    if args.baseline:
        return backends.BaselineBackend(args.baseline, args.seed)
    if args.engine == "vllm":
        return backends.VLLMBackend(args.model, args.adapter, args.prompt)
    return backends.ModelBackend(args.model, args.adapter, args.prompt, args.batch_size)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        tasks = _names(args.tasks, BY_SHORT, tuple(REGISTRY), "task")
        splits = _names(args.splits, None, TEST_SPLITS, "split")
        if args.limit is not None and args.limit < 1:
            raise UserError("--limit must be at least 1")
        if args.batch_size < 1:
            raise UserError("--batch-size must be at least 1")
        check_seed(args.seed)
        backend = make_backend(args)
        config = RunConfig(
            dataset=args.dataset,
            backend=backend.describe(),
            tasks=tasks,
            splits=splits,
            limit=args.limit,
            batch_size=args.batch_size,
            embed=not args.no_embed,
            dataset_build=dataset_build(args.dataset),
        )
        run(config, backend, args.out, progress=not args.no_progress)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BaseException:
        # Ctrl-C, SIGTERM or SIGHUP (see ecinstruct.signals), or an error a library made of one.
        kept = (
            f"the finished task/split pairs are kept in {args.out}; "
            "the same command goes on from there"
            if (args.out / "scores.json").is_file()
            else f"no pair was finished, so nothing was written to {args.out}"
        )
        status = signals.stopped(kept)
        if status is None:
            raise
        return status
    return 0


if __name__ == "__main__":
    signals.take_signals()
    sys.exit(main())
