"""LoRA fine-tuning on an ECInstruct dataset, in one pass you can read top to bottom.

Recipe (eCeLLM paper defaults, SPEC.md "Training defaults"): LoRA r=16, alpha=16, dropout 0.1 on
every attention and MLP projection; AdamW lr 1e-4 (no weight decay, gradients clipped at norm
1.0 as in the Hugging Face Trainer the reference used); cosine schedule with 5% warmup; 128
samples per optimizer step; 3 epochs; max length 2048; loss on the response (``output`` + EOS)
only; the adapter with the lowest validation loss is kept.

Batching. The reference runs micro-batches of 1 sample and accumulates 128 of them. We keep the
same 128 samples per step (see ``batching.py``) but group them by length into padded
micro-batches under ``--micro-batch-tokens``, and compute output logits only at response
positions. Normalisation: the step's loss is the sum of token cross-entropies over all its
response tokens divided by their count (every response token weighs the same, as in the
Hugging Face Trainer since v4.46 and torchtune), not the mean of per-sample means; so the
gradient does not depend on how the step is cut into micro-batches.

Data parallel: the same command under torchrun, e.g.
    torchrun --nproc_per_node 8 -m training --dataset DIR --model MODEL --out runs/x
Each rank takes its share of every step's micro-batches; gradients are all-reduced once per
step. The effective batch stays ``--batch-size`` samples whatever the number of GPUs.
"""

from __future__ import annotations

import inspect
import math
import os
import random
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ecinstruct import signals
from ecinstruct.errors import UserError
from training import batching, checkpoint, report
from training.data import IGNORE_INDEX, encode_split, load_splits
from training.models import load_model, load_tokenizer, lora_target_modules

# A config change in any of these would make a resumed run differ from an uninterrupted one.
RESUME_KEYS = (
    "dataset", "model", "tasks", "epochs", "max_steps", "lr", "lora_r", "lora_alpha",
    "lora_dropout", "batch_size", "max_length", "prompt", "seed", "warmup_ratio", "weight_decay",
    "eval_samples",
)  # fmt: skip
MAX_GRAD_NORM = 1.0
# Padded tokens per micro-batch when --micro-batch-tokens is not given.
DEFAULT_TOKEN_BUDGET = {"cuda": 8192, "cpu": 2048}


@dataclass
class TrainConfig:
    dataset: str
    model: str
    out: Path
    tasks: tuple[str, ...] = ()
    epochs: int = 3
    max_steps: int | None = None
    lr: float = 1e-4
    lora_r: int = 16
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    batch_size: int = 128
    micro_batch_tokens: int | None = None
    max_length: int = 2048
    prompt: str = "alpaca"
    eval_every: int | None = None
    eval_samples: int | None = None  # validate on this many samples (spread over tasks)
    resume: bool = False
    merge: bool = False
    gradient_checkpointing: bool = False
    seed: int = 0
    stop_after: int | None = None  # leave after this many steps; --resume continues
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    progress: bool = True

    def check(self) -> None:
        self.tasks = tuple(sorted(set(self.tasks)))  # naming order does not change the run
        positive = ("epochs", "batch_size", "max_length", "lora_r", "lora_alpha")
        optional = ("max_steps", "eval_every", "eval_samples", "stop_after", "micro_batch_tokens")
        for name in positive + optional:
            value = getattr(self, name)
            if (value is not None or name in positive) and value < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1, got {value}")
        if not 0 <= self.lora_dropout < 1:
            raise UserError(f"--lora-dropout must be in [0, 1), got {self.lora_dropout}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise UserError(f"--lr must be a positive number, got {self.lr}")
        if not 0 <= self.warmup_ratio < 1:
            raise UserError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise UserError(f"weight_decay must be 0 or more, got {self.weight_decay}")
        # transformers seeds numpy's legacy generator too, which takes 32 bits.
        if not 0 <= self.seed < 2**32:
            raise UserError(f"--seed must be a whole number from 0 to 2**32 - 1, got {self.seed}")
        if self.prompt not in ("alpaca", "chat"):
            raise UserError(f"--prompt must be alpaca or chat, got {self.prompt!r}")


@dataclass
class Dist:
    """Where this process sits in a torchrun job (rank 0 of 1 when run alone)."""

    rank: int = 0
    world: int = 1
    device: str = "cpu"
    ddp: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup_distributed() -> Dist:
    cuda = torch.cuda.is_available()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Dist(device="cuda" if cuda else "cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if cuda:
        torch.cuda.set_device(local_rank)
    torch.distributed.init_process_group("nccl" if cuda else "gloo")
    device = f"cuda:{local_rank}" if cuda else "cpu"
    return Dist(torch.distributed.get_rank(), world, device, ddp=True)


def _no_forward_buffer_sync() -> dict:
    # torch 2.13 renamed the DDP option; older versions only know the old name.
    params = inspect.signature(nn.parallel.DistributedDataParallel).parameters
    if "forward_sync_buffers" in params:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


# Ctrl-C or SIGTERM (a job scheduler's time limit) during the loop: the step in progress
# finishes, a checkpoint is saved and the outputs are written, as with --stop-after.
STOP_NOTICE = "stopping after this step, with a checkpoint (once more to stop at once)"


def stop_asked(dist: Dist) -> bool:
    """Whether Ctrl-C or SIGTERM reached this process or, under torchrun, any rank: all ranks
    stop after the same step."""
    asked = signals.received() is not None
    return all_sum([float(asked)], dist)[0] > 0 if dist.ddp else asked


def all_sum(values: list[float], dist: Dist) -> list[float]:
    if not dist.ddp:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=dist.device)
    torch.distributed.all_reduce(t)
    return t.tolist()


class ResponseLoss(nn.Module):
    """Summed cross-entropy over response tokens, with logits computed only where needed.

    Prompt positions never reach the output layer: with a 49k-token vocabulary that layer and
    its softmax are a large share of a small model's compute and memory. Models that post-process
    logits (soft-capping, scaling) go through their full forward instead.
    """

    POSTPROCESSED_LOGITS = ("final_logit_softcapping", "logit_scale", "logits_scaling")

    def __init__(self, peft_model):
        super().__init__()
        self.peft_model = peft_model
        lm = peft_model.get_base_model()
        self.full_forward = any(getattr(lm.config, a, None) for a in self.POSTPROCESSED_LOGITS)

    def forward(self, input_ids, attention_mask, labels):
        targets = labels[:, 1:]
        keep = targets != IGNORE_INDEX
        lm = self.peft_model.get_base_model()
        if self.full_forward:
            logits = lm(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).logits
            logits = logits[:, :-1][keep]
        else:
            body = getattr(lm, lm.base_model_prefix)
            hidden = body(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
            logits = lm.get_output_embeddings()(hidden.last_hidden_state[:, :-1][keep])
        return F.cross_entropy(logits.float(), targets[keep], reduction="sum")


def train(config: TrainConfig) -> dict:
    """Run (or resume) one training job; returns the metrics also written to metrics.json."""
    config.check()
    out = Path(config.out)
    note = check_out(out, config.resume)  # every rank, before they meet: none wrote yet
    dist = setup_distributed()
    if note and dist.main:
        print(f"note: {note}", file=sys.stderr)
    resume = config.resume and checkpoint.has_checkpoint(out)
    seed_everything(config.seed)

    # 1. Data: tokenised once; errors about the dataset surface before the model loads.
    tokenizer = load_tokenizer(config.model)
    splits = load_splits(config.dataset, config.tasks)
    train_set = encode_split(splits["train"], tokenizer, config.prompt, config.max_length)
    validation = subsample_by_task(splits["validation"], config.eval_samples, config.seed)
    val_set = encode_split(validation, tokenizer, config.prompt, config.max_length)
    for name, encoded in (("train", train_set), ("validation", val_set)):
        dropped = ", ".join(f"{n} {reason}" for reason, n in sorted(encoded.dropped.items()))
        if not encoded.samples:
            # Every sample was dropped (e.g. too long to fit), or there were none.
            why = (
                f": all dropped ({dropped}) with --max-length {config.max_length}"
                if dropped
                else ""
            )
            raise UserError(f"no {name} samples left for tasks {config.tasks or 'all'}{why}")
        if dist.main and (encoded.truncated or encoded.dropped):
            print(
                f"{name}: {encoded.truncated} samples had their input cut to fit --max-length "
                f"{config.max_length}; dropped: {dropped or 'none'}",
                file=sys.stderr,
            )
    device_kind = "cuda" if dist.device.startswith("cuda") else "cpu"
    budget = config.micro_batch_tokens or DEFAULT_TOKEN_BUDGET[device_kind]
    per_epoch = batching.steps_per_epoch(len(train_set.samples), config.batch_size)
    total_steps = per_epoch * config.epochs
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)

    # 2. Model: LoRA on every attention and MLP projection; only adapter weights train.
    from transformers import get_cosine_schedule_with_warmup

    peft_model = lora_model(config, dist.device, tokenizer.pad_token_id)
    targets = lora_target_modules(peft_model.get_base_model())  # in the model's order
    loss_module: nn.Module = ResponseLoss(peft_model).train()  # loaded models come in eval mode
    eval_module = loss_module
    if dist.ddp:
        ids = [torch.device(dist.device).index] if device_kind == "cuda" else None
        # Ranks run different numbers of micro-batches per step, so forward passes must not
        # hold collectives (buffer broadcasts); the one gradient all-reduce per step is enough.
        loss_module = nn.parallel.DistributedDataParallel(
            loss_module, device_ids=ids, **_no_forward_buffer_sync()
        )
    params = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    warmup = round(config.warmup_ratio * total_steps)
    scheduler = get_cosine_schedule_with_warmup(optimizer, warmup, total_steps)

    # 3. State: fresh, or everything a resumed run needs to continue exactly where it stopped.
    state = {"step": 0, "train": [], "validation": [], "best": None, "train_seconds": 0.0}
    if resume:
        state = checkpoint.load_checkpoint(out, peft_model, optimizer, scheduler)
        check_resumable(state.pop("config"), config)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # checked up front; this is a race with something else
        raise UserError(f"cannot create --out {out}: {exc.strerror or exc}") from exc
    resolved = {
        **asdict(config),
        "micro_batch_tokens": budget,
        "lora_target_modules": targets,
        "device": dist.device,
        "dtype": str(peft_model.get_base_model().dtype).removeprefix("torch."),
        "world_size": dist.world,
        "train_samples": len(train_set.samples),
        "validation_samples": len(val_set.samples),
        "steps_per_epoch": per_epoch,
        "total_steps": total_steps,
        "warmup_steps": warmup,
    }
    if dist.main:  # first, so that the folder is known as a run from now on (is_run_folder)
        report.write_json(out / RUN_CONFIG, resolved)

    with signals.patient(STOP_NOTICE):
        # 4. The loop: one optimizer step per planned step; validate every epoch / --eval-every.
        from tqdm.auto import tqdm

        bar = tqdm(
            total=total_steps, initial=state["step"], disable=not (config.progress and dist.main)
        )
        started = state["step"]
        asked = False
        val_plan = batching.plan_eval(val_set.samples, budget, dist.rank, dist.world)
        if state["step"] == 0 and not state["validation"]:
            # Step 0 is the base model (LoRA's B starts at zero): the "before" of the run,
            # and the adapter to keep if training never improves on it.
            val_loss = evaluate(eval_module, val_plan, val_set, tokenizer, dist)
            state["validation"].append({"step": 0, "loss": val_loss})
            state["best"] = {"step": 0, "loss": val_loss}
            if dist.main:
                peft_model.save_pretrained(out)
        while state["step"] < total_steps:
            epoch, offset = divmod(state["step"], per_epoch)
            plan = batching.plan_epoch(
                train_set.samples,
                config.batch_size,
                budget,
                config.seed,
                epoch,
                dist.rank,
                dist.world,
            )
            for step_plan in plan[offset:]:
                t0 = time.perf_counter()
                loss, tokens = run_step(loss_module, step_plan, train_set.samples, tokenizer, dist)
                torch.nn.utils.clip_grad_norm_(params, MAX_GRAD_NORM)
                lr = scheduler.get_last_lr()[0]
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                seconds = time.perf_counter() - t0
                state["train_seconds"] += seconds
                state["step"] += 1
                step = state["step"]
                state["train"].append(
                    {
                        "step": step,
                        "epoch": epoch,
                        "loss": loss,
                        "lr": lr,
                        "tokens": tokens,
                        "seconds": round(seconds, 4),
                    }
                )
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", tok_s=f"{tokens / seconds:.0f}")
                epoch_done = step % per_epoch == 0
                due = epoch_done or step == total_steps
                due = due or bool(config.eval_every and step % config.eval_every == 0)
                stopping = bool(config.stop_after and step - started >= config.stop_after)
                asked = stop_asked(dist)
                stopping = stopping or asked
                if due:
                    val_loss = evaluate(eval_module, val_plan, val_set, tokenizer, dist)
                    state["validation"].append({"step": step, "loss": val_loss})
                    if state["best"] is None or val_loss < state["best"]["loss"]:
                        state["best"] = {"step": step, "loss": val_loss}
                        if dist.main:
                            peft_model.save_pretrained(out)  # the best adapter lives at the top
                if (due or stopping) and dist.main:
                    checkpoint.save_checkpoint(
                        out, peft_model, optimizer, scheduler, {**state, "config": asdict(config)}
                    )
                if stopping or step >= total_steps:
                    break
            if asked or (config.stop_after and state["step"] - started >= config.stop_after):
                break
        bar.close()

        # 5. Outputs next to the adapter.
        metrics = summarise(state, train_set, val_set, dist)
        # "interrupted" or "terminated"; under torchrun, a rank the signal did not reach
        # stopped because another rank was stopped.
        mine = signals.received()
        metrics["stopped_by"] = (
            (signals.STOPS[mine][1] if mine else "another rank") if asked else None
        )
        if dist.main:
            tokenizer.save_pretrained(out)
            report.write_json(out / "metrics.json", metrics)
            report.write_card(out / "README.md", resolved, metrics)
            report.plot_loss_curve(out / "loss_curve.png", state["train"], state["validation"])
            if config.merge and state["step"] >= total_steps:
                merge_adapter(config.model, out, tokenizer, peft_model.get_base_model().dtype)
    if dist.ddp:
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return metrics


RUN_CONFIG = "config.json"  # the resolved config, which a run writes before anything else
RUN_CONFIG_KEYS = {"lora_r", "lora_target_modules", "total_steps"}  # not in a model's config.json


def is_run_folder(out: Path) -> bool:
    """Whether ``out`` is a folder this trainer has written into: it holds a checkpoint, or the
    resolved config a run writes first (a run killed before its first checkpoint)."""
    from ecinstruct.paths import has_keys

    return checkpoint.has_checkpoint(out) or has_keys(out / RUN_CONFIG, RUN_CONFIG_KEYS)


def check_out(out: Path, resume: bool) -> str | None:
    """A one-line UserError, before anything loads, unless ``out`` can take this run, which
    goes into a folder that is absent, empty, or a run of this trainer: ``resume`` continues
    its checkpoint, and a run that has none yet (stopped before its first) starts again. A
    run never goes into or under a dataset folder, nor among other files, and a checkpoint is
    never overwritten without ``resume``. Returns a note to print when the run starts afresh
    although asked to resume, or starts a stopped run again (None otherwise): a job that
    always passes --resume starts its first attempt too."""
    from ecinstruct.paths import check_own_folder

    try:
        started = check_own_folder(
            out, is_run_folder, "a training run", "adapter, README.md, tokenizer and config.json"
        )
    except OSError as exc:  # a folder on the way that cannot be read
        raise UserError(f"cannot use --out {out}: {exc.strerror or exc}") from exc
    saved = started and checkpoint.has_checkpoint(out)
    if saved and not resume:
        raise UserError(f"{out} already holds a training run; pass --resume or another --out")
    if saved or not (started or resume):
        return None
    if started:
        return f"{out} holds a run stopped before its first checkpoint; starting it again"
    return f"nothing to resume in {out} (no checkpoint yet); starting a new run"


def lora_model(config: TrainConfig, device: str, pad_token_id: int):
    """The base model with fresh LoRA adapters (fp32 adapter weights even on a bf16 model)."""
    from peft import LoraConfig, get_peft_model

    model = load_model(config.model, device=device)
    model.config.pad_token_id = pad_token_id
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=lora_target_modules(model),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_resumable(saved: dict, config: TrainConfig) -> None:
    now = asdict(config)
    changed = [k for k in RESUME_KEYS if _norm(saved.get(k)) != _norm(now.get(k))]
    if changed:
        diffs = ", ".join(
            f"--{k.replace('_', '-')} {saved.get(k)!r} -> {now.get(k)!r}" for k in changed
        )
        raise UserError(f"cannot resume: settings differ from the checkpoint ({diffs})")


def _norm(value):
    return list(value) if isinstance(value, tuple | list) else value


def run_step(loss_module, step: batching.Step, samples, tokenizer, dist: Dist):
    """Forward/backward over this rank's micro-batches; returns (step loss, tokens seen).

    Each micro-batch contributes summed token losses divided by the step's response-token
    count (times the world size, because DDP averages gradients over ranks).
    """
    micro_batches = step.micro_batches
    weight = dist.world / step.response_tokens
    if not micro_batches:  # a rank with no share still joins the step's gradient all-reduce
        micro_batches, weight = [[0]], 0.0
    loss_sum = tokens = 0.0
    for k, indices in enumerate(micro_batches):
        batch = batching.collate([samples[i] for i in indices], tokenizer.pad_token_id)
        batch = {key: t.to(dist.device) for key, t in batch.items()}
        last = k == len(micro_batches) - 1
        sync = nullcontext() if last or not dist.ddp else loss_module.no_sync()
        try:
            with sync:
                summed = loss_module(**batch)
                (summed * weight).backward()
        except torch.cuda.OutOfMemoryError as exc:
            n, width = batch["input_ids"].shape
            raise UserError(
                f"CUDA out of memory on a micro-batch of {n} x {width} tokens; use a smaller "
                "--micro-batch-tokens or add --gradient-checkpointing"
            ) from exc
        if weight:
            loss_sum += summed.item()
            tokens += batch["attention_mask"].sum().item()
    loss_sum, tokens = all_sum([loss_sum, tokens], dist)
    return loss_sum / step.response_tokens, int(tokens)


@torch.no_grad()
def evaluate(loss_module, plan, encoded, tokenizer, dist: Dist) -> float:
    """Validation loss per response token (dropout off), over all ranks' shares."""
    loss_module.eval()
    loss_sum = 0.0
    for indices in plan:
        batch = batching.collate([encoded.samples[i] for i in indices], tokenizer.pad_token_id)
        loss_sum += loss_module(**{k: t.to(dist.device) for k, t in batch.items()}).item()
    loss_module.train()
    response = sum(len(s.input_ids) - s.prompt_len for s in encoded.samples)
    return all_sum([loss_sum], dist)[0] / response


def subsample_by_task(dataset, n: int | None, seed: int):
    """At most ``n`` records, spread evenly over tasks (round robin over seeded shuffles), so a
    cheap validation set still speaks for every task. ``None`` keeps the whole split."""
    if n is None or n >= len(dataset):
        return dataset
    import random

    by_task: dict[str, list[int]] = {}
    for i, task in enumerate(dataset["task"]):
        by_task.setdefault(task, []).append(i)
    rng = random.Random(seed)
    queues = []
    for task in sorted(by_task):
        indices = by_task[task]
        rng.shuffle(indices)
        queues.append(indices)
    chosen: list[int] = []
    while len(chosen) < n:
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.append(queue.pop())
    return dataset.select(sorted(chosen))


def summarise(state: dict, train_set, val_set, dist: Dist) -> dict:
    tokens = sum(r["tokens"] for r in state["train"])
    seconds = state["train_seconds"]
    return {
        "steps": state["step"],
        "train": state["train"],
        "validation": state["validation"],
        "best_step": state["best"] and state["best"]["step"],
        "best_validation_loss": state["best"] and state["best"]["loss"],
        "initial_validation_loss": next(
            (r["loss"] for r in state["validation"] if r["step"] == 0), None
        ),
        "train_tokens": tokens,
        "train_seconds": round(seconds, 3),
        "tokens_per_s": round(tokens / seconds, 1) if seconds else None,
        "truncated": {"train": train_set.truncated, "validation": val_set.truncated},
        "dropped": {"train": dict(train_set.dropped), "validation": dict(val_set.dropped)},
        "world_size": dist.world,
    }


def merge_adapter(model_name: str, out: Path, tokenizer, dtype) -> Path:
    """The best adapter folded into a fresh copy of the base model, saved to ``out/merged``."""
    from peft import PeftModel

    base = load_model(model_name, dtype=dtype, device="cpu")
    merged = PeftModel.from_pretrained(base, out).merge_and_unload()
    folder = out / "merged"
    merged.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
