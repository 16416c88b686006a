"""What a run leaves beside its adapter: the resolved config, metrics, a loss curve and the
adapter's model card."""

from __future__ import annotations

import json
from pathlib import Path


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def plot_loss_curve(path: Path, train: list[dict], validation: list[dict]) -> None:
    """Training loss per step and validation loss at each evaluation, on one PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on servers
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if train:
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train", lw=1)
    if validation:
        ax.plot(
            [r["step"] for r in validation],
            [r["loss"] for r in validation],
            "o-",
            label="validation",
        )
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss per response token")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# The Hub ids of the models the aliases name (training.models.ALIASES): a card names the model
# people can fetch, not the local conversion the run loaded.
ALIAS_HUB_IDS = {"smollm2-135m": "HuggingFaceTB/SmolLM2-135M-Instruct"}


def write_card(path: Path, config: dict, metrics: dict) -> None:
    """The adapter's README.md, in place of peft's empty template: what was tuned on what, with
    which settings, and how it went. `config` is the run's resolved config.json."""
    import yaml

    model = str(config.get("model", ""))
    base = ALIAS_HUB_IDS.get(model, model)
    meta = {
        "library_name": "peft",
        "base_model": base,
        "tags": ["ecinstruct", "lora", "e-commerce"],
    }
    dataset = str(config.get("dataset", ""))
    if dataset.count("/") == 1 and not Path(dataset).exists():  # a Hub id, not a folder
        meta["datasets"] = [dataset]
    settings = ["lora_r", "lora_alpha", "lora_dropout", "lr", "batch_size", "epochs", "max_steps",
                "total_steps", "max_length", "prompt", "seed", "train_samples",
                "validation_samples"]  # fmt: skip
    rows = "\n".join(f"| {k} | {config[k]} |" for k in settings if config.get(k) is not None)
    tasks = ", ".join(config.get("tasks") or []) or "every task in the dataset"
    loss = metrics.get("best_validation_loss")
    before = metrics.get("initial_validation_loss")
    result = (
        f"Validation loss {before:.4f} before tuning, {loss:.4f} at its best (step "
        f"{metrics.get('best_step')}, the adapter saved here)"
        if loss is not None and before is not None
        else "No validation loss recorded"
    )
    local = f" (for `{model}`, a local conversion of {base})" if base != model else ""
    stopped = (
        f" It was stopped early ({metrics['stopped_by']})." if metrics.get("stopped_by") else ""
    )
    path.write_text(
        f"""---
{yaml.safe_dump(meta, sort_keys=False).strip()}
---

# LoRA adapter for {base}, tuned on ECInstruct

A LoRA adapter trained by `python -m training` (ECInstruct) on the dataset `{dataset}`
({tasks}), in the `{config.get("prompt", "alpaca")}` prompt format. {result}, after
{metrics.get("steps")} optimizer steps.{stopped} `metrics.json` has every step's loss, and
`loss_curve.png` draws them; `config.json` has every setting.

| setting | value |
|---|---|
{rows}

```python
from peft import PeftModel
from transformers import AutoModelForCausalLM

base = AutoModelForCausalLM.from_pretrained("{base}")
model = PeftModel.from_pretrained(base, "PATH_OR_HUB_ID_OF_THIS_FOLDER")
```

`adapter_config.json` names the base model where this run loaded it from{local}; pass the
base model yourself, as above, when loading the adapter elsewhere.
""",
        encoding="utf-8",
    )
