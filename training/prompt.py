"""The prompt both the trainer and the benchmark use (SPEC.md: eCeLLM's alpaca-style format).

Options are shown one per line with a letter ("A: ..."), so answers may cite the letter or the
full option text; the benchmark's parser accepts either.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

HEADER = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request."
)
LETTERS = string.ascii_uppercase


def format_options(options: Sequence[str]) -> str:
    if len(options) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} options can be lettered, got {len(options)}")
    return "\n".join(f"{LETTERS[i]}: {opt}" for i, opt in enumerate(options))


def alpaca_prompt(instruction: str, input: str, options: Sequence[str] | None) -> str:
    """Everything up to and including "### Response:\\n"; the answer follows it."""
    parts = [HEADER, "", "### Instruction:", instruction, "", "### Input:", input, ""]
    if options:
        parts += ["### Options:", format_options(options), ""]
    parts += ["### Response:", ""]
    return "\n".join(parts)


def chat_messages(instruction: str, input: str, options: Sequence[str] | None) -> list[dict]:
    """The same content as one user turn, for a model's own chat template."""
    content = f"{instruction}\n\nInput:\n{input}"
    if options:
        content += f"\n\nOptions:\n{format_options(options)}"
    return [{"role": "user", "content": content}]


def build_prompt(record: dict, style: str = "alpaca", tokenizer=None) -> str:
    """Prompt text for one dataset record (a dict with instruction, input, options)."""
    instruction, inp, options = record["instruction"], record["input"], record.get("options")
    if style == "alpaca":
        return alpaca_prompt(instruction, inp, options)
    if style == "chat":
        if tokenizer is None or getattr(tokenizer, "chat_template", None) is None:
            raise ValueError("--prompt chat needs a tokenizer with a chat template")
        return tokenizer.apply_chat_template(
            chat_messages(instruction, inp, options), tokenize=False, add_generation_prompt=True
        )
    raise ValueError(f"unknown prompt style {style!r}; use 'alpaca' or 'chat'")
