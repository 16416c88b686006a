"""Resumable training state: adapter, optimizer, scheduler, RNG, step, history.

A checkpoint is a folder written next to its final place and renamed over it, so a run killed
mid-save still resumes from the previous complete checkpoint.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.pt"


def rng_state() -> dict:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(out: Path, peft_model, optimizer, scheduler, state: dict) -> Path:
    """Write ``out/checkpoint`` atomically (`ecinstruct.writer.atomic_folder`: a second Ctrl-C
    or a full disk leaves the last checkpoint as it was); ``state`` holds step, history and
    the like."""
    from ecinstruct.writer import atomic_folder

    final = out / CHECKPOINT_DIR
    with atomic_folder(final, output=False) as tmp:
        peft_model.save_pretrained(tmp)
        torch.save(
            {
                **state,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng_state(),
            },
            tmp / STATE_FILE,
        )
    return final


def has_checkpoint(out: Path) -> bool:
    return (out / CHECKPOINT_DIR / STATE_FILE).is_file()


def load_checkpoint(out: Path, peft_model, optimizer, scheduler) -> dict:
    """Restore weights, optimizer, scheduler and RNG in place; returns the saved ``state``."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    folder = out / CHECKPOINT_DIR
    state = torch.load(folder / STATE_FILE, map_location="cpu", weights_only=False)
    device = next(peft_model.parameters()).device
    set_peft_model_state_dict(
        peft_model, load_file(folder / "adapter_model.safetensors", device=str(device))
    )
    optimizer.load_state_dict(state.pop("optimizer"))
    scheduler.load_state_dict(state.pop("scheduler"))
    set_rng_state(state.pop("rng"))
    return state
