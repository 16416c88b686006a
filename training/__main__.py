"""Command line: ``python -m training`` fine-tunes a LoRA adapter on an ECInstruct dataset."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ecinstruct import signals
from ecinstruct.errors import UserError


def _tasks(values: list[str] | None) -> tuple[str, ...]:
    # Accept both `--tasks a,b` and `--tasks a --tasks b`, and short names (SA, PM, ...).
    from ecinstruct.tasks import full_names

    names = full_names(t.strip() for v in values or () for t in v.split(",") if t.strip())
    if values and not names:
        raise UserError(f"--tasks {','.join(values)!r} names no task; leave it out to train on all")
    return names


def main(
    dataset: Annotated[
        str, typer.Option(help="Dataset folder or Hub id (needs train and validation).")
    ],
    model: Annotated[str, typer.Option(help="Model folder, Hub id, or the alias smollm2-135m.")],
    out: Annotated[
        Path,
        typer.Option(
            help="Output folder (new or empty; an earlier run's with --resume): adapter, "
            "metrics, loss curve."
        ),
    ],
    tasks: Annotated[
        list[str] | None,
        typer.Option(
            help="Task names or short names (SA, PM, ...), comma-separated (default: all)."
        ),
    ] = None,
    epochs: Annotated[int, typer.Option(help="Passes over the training split.")] = 3,
    max_steps: Annotated[
        int | None, typer.Option(help="Stop after N optimizer steps (schedule spans N).")
    ] = None,
    lr: Annotated[
        float, typer.Option(help="Peak learning rate (AdamW, cosine, 5% warmup).")
    ] = 1e-4,
    lora_r: Annotated[int, typer.Option(help="LoRA rank.")] = 16,
    lora_alpha: Annotated[int, typer.Option(help="LoRA alpha.")] = 16,
    lora_dropout: Annotated[float, typer.Option(help="LoRA dropout.")] = 0.1,
    batch_size: Annotated[
        int, typer.Option(help="Samples per optimizer step (all GPUs together).")
    ] = 128,
    micro_batch_tokens: Annotated[
        int | None,
        typer.Option(help="Padded tokens per micro-batch (default 8192 on GPU, 2048 on CPU)."),
    ] = None,
    max_length: Annotated[
        int, typer.Option(help="Max tokens per sample; longer inputs are cut.")
    ] = 2048,
    prompt: Annotated[
        str, typer.Option(help="Prompt style: alpaca or chat (the model's template).")
    ] = "alpaca",
    eval_every: Annotated[
        int | None, typer.Option(help="Also validate every N steps (always each epoch).")
    ] = None,
    eval_samples: Annotated[
        int | None,
        typer.Option(help="Validate on this many samples, spread over tasks (default: all)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Continue the run in --out from its last checkpoint (a new run, with a note, "
            "when there is none yet)."
        ),
    ] = False,
    merge: Annotated[
        bool,
        typer.Option(help="Also save the base model with the best adapter merged in (out/merged)."),
    ] = False,
    gradient_checkpointing: Annotated[
        bool, typer.Option(help="Recompute activations to save memory.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for shuffling and adapter initialisation.")] = 0,
    stop_after: Annotated[
        int | None, typer.Option(help="Leave after N steps this run; continue later with --resume.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Fine-tune a LoRA adapter on an ECInstruct dataset (paper defaults).

    Example: python -m training --dataset build/real --model smollm2-135m --out runs/smol --max-steps 50

    Several GPUs: torchrun --nproc_per_node 8 -m training --dataset DIR --model MODEL --out DIR
    """
    from training.train import TrainConfig, check_out, train

    try:
        config = TrainConfig(
            dataset=dataset, model=model, out=out, tasks=_tasks(tasks), epochs=epochs,
            max_steps=max_steps, lr=lr, lora_r=lora_r, lora_alpha=lora_alpha,
            lora_dropout=lora_dropout, batch_size=batch_size,
            micro_batch_tokens=micro_batch_tokens, max_length=max_length, prompt=prompt,
            eval_every=eval_every, eval_samples=eval_samples, resume=resume, merge=merge,
            gradient_checkpointing=gradient_checkpointing, seed=seed, stop_after=stop_after,
            progress=progress,
        )  # fmt: skip
        config.check()  # bad settings and --out, before the libraries load (train checks again)
        check_out(config.out, config.resume)
        if not progress:  # also silence the libraries' own loading bars
            import datasets
            import transformers

            datasets.disable_progress_bars()
            transformers.utils.logging.disable_progress_bar()
        metrics = train(config)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 speaks for all
        return
    best = metrics["best_validation_loss"]
    best_text = f"best validation loss {best:.4f} at step {metrics['best_step']}" if best else ""
    print(f"{metrics['steps']} steps, {metrics['tokens_per_s']} tokens/s; {best_text}; wrote {out}")
    if metrics["stopped_by"]:
        global _stop_said
        _stop_said = True
        signals.say(
            f"{metrics['stopped_by']} after step {metrics['steps']}: its checkpoint is in {out}; "
            "the same command with --resume continues the run"
        )
        raise typer.Exit(signals.STOPS.get(signals.received(), (130,))[0])


_stop_said = False  # main has said how a signal stopped the run

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(main)


def run() -> None:
    """`app()`, with Ctrl-C, SIGTERM and SIGHUP taken (see ecinstruct.signals): in the loop
    they end the run after its step, with a checkpoint; before it, at once."""
    signals.take_signals()
    try:
        app()
    except BaseException as exc:
        if _stop_said or (isinstance(exc, SystemExit) and exc.code in (0, None)):
            raise
        status = signals.stopped("checkpoints in --out are kept")
        if status is None:
            raise
        raise SystemExit(status) from None


if __name__ == "__main__":
    run()
