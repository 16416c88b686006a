"""Load a published ECInstruct dataset and turn records into token ids with response-only labels.

A sample is ``prompt + output + EOS``; the loss sees only ``output + EOS`` (prompt labels are
-100). A sample longer than ``max_length`` loses tokens from the end of its ``input`` text only:
the instruction, the options, the ``### Response:`` line and the answer are never cut. A sample
that does not fit even with an empty input is dropped with a reason and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ecinstruct.errors import UserError, first_line
from training.models import hub_reachable
from training.prompt import build_prompt

REQUIRED_SPLITS = ("train", "validation")
IGNORE_INDEX = -100  # label value that torch's cross-entropy skips
DROP_TOO_LONG = "too_long_without_input"


def load_splits(dataset: str, tasks: Sequence[str] | None = None) -> dict:
    """``{"train": Dataset, "validation": Dataset}`` for ``tasks`` (all tasks when empty).

    Uses the per-task configs when the dataset has them (reads only those files), else the
    ``all`` (or only) config filtered on the ``task`` column.
    """
    import datasets

    path = _dataset_location(dataset)
    try:
        configs = datasets.get_dataset_config_names(path)
    except Exception as exc:  # datasets raises many types for a missing or malformed dataset
        raise UserError(f"cannot load dataset {dataset}: {first_line(exc)}") from exc
    wanted = sorted(set(tasks or ()))  # the order tasks are named in must not change the data
    task_configs = [c for c in configs if c not in ("all", "default")]
    if wanted and task_configs:
        unknown = [t for t in wanted if t not in task_configs]
        if unknown:
            raise UserError(_unknown_tasks(dataset, unknown, task_configs))
        parts = [_load(path, task, dataset) for task in wanted]
        return {s: datasets.concatenate_datasets([p[s] for p in parts]) for s in REQUIRED_SPLITS}
    config = "all" if "all" in configs else configs[0]
    splits = _load(path, config, dataset)
    if wanted:
        present = sorted(set(splits["train"]["task"]) | set(splits["validation"]["task"]))
        unknown = [t for t in wanted if t not in present]
        if unknown:
            raise UserError(_unknown_tasks(dataset, unknown, present))
        keep = set(wanted)
        splits = {s: d.filter(lambda r: r["task"] in keep) for s, d in splits.items()}
    return splits


def _dataset_location(dataset: str) -> str:
    local = Path(dataset).expanduser()
    if local.is_dir():
        return str(local)
    if dataset.startswith((".", "/", "~")) or dataset.count("/") > 1:
        raise UserError(f"cannot load dataset {dataset}: no such folder")
    if not hub_reachable():
        raise UserError(
            f"cannot load dataset {dataset}: not a local folder and the Hub is unreachable"
        )
    return dataset


def _load(path: str, config: str, shown: str) -> dict:
    import datasets

    try:
        dd = datasets.load_dataset(path, config)
    except Exception as exc:
        raise UserError(f"cannot load dataset {shown} ({config}): {first_line(exc)}") from exc
    missing = [s for s in REQUIRED_SPLITS if s not in dd]
    if missing:
        raise UserError(
            f"dataset {shown} ({config}) has no {' or '.join(missing)} split; training needs "
            f"{' and '.join(REQUIRED_SPLITS)} (it has: {', '.join(dd) or 'none'})"
        )
    return {s: dd[s] for s in REQUIRED_SPLITS}


def _unknown_tasks(dataset: str, unknown: list[str], present: list[str]) -> str:
    """Names no task has are unknown; a known task that this dataset lacks is said to be so."""
    from ecinstruct.tasks import REGISTRY

    has = f"it has: {', '.join(sorted(present)) or 'none'}"
    strange = [t for t in unknown if t not in REGISTRY]
    if strange:
        return f"unknown task {', '.join(strange)} in dataset {dataset}; {has}"
    return f"the dataset {dataset} has no {', '.join(unknown)}; {has}"



@dataclass(frozen=True)
class Encoded:
    """One tokenised sample: ``input_ids`` is prompt then answer (answer ends with EOS)."""

    input_ids: list[int]
    prompt_len: int
    truncated: bool = False

    @property
    def labels(self) -> list[int]:
        return [IGNORE_INDEX] * self.prompt_len + self.input_ids[self.prompt_len :]


@dataclass
class EncodedSplit:
    """Tokenised samples of one split plus what happened to the ones that did not fit."""

    samples: list[Encoded]
    truncated: int = 0
    dropped: Counter = field(default_factory=Counter)  # reason -> count

    @property
    def lengths(self) -> list[int]:
        return [len(s.input_ids) for s in self.samples]


def _prompt_ids(tokenizer, prompt: str, style: str) -> list[int]:
    # A chat template writes its own special tokens; the alpaca text gets the model's BOS (if any).
    return tokenizer(prompt, add_special_tokens=style != "chat")["input_ids"]


def answer_ids(tokenizer, output: str) -> list[int]:
    return tokenizer(output, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]


def encode_record(
    record: dict, tokenizer, style: str = "alpaca", max_length: int = 2048
) -> Encoded | None:
    """Tokenise one record; ``None`` when it cannot fit even with its input emptied."""
    answer = answer_ids(tokenizer, record["output"])
    prompt = _prompt_ids(tokenizer, build_prompt(record, style, tokenizer), style)
    if len(prompt) + len(answer) <= max_length:
        return Encoded(prompt + answer, len(prompt))
    return _truncate_input(record, tokenizer, style, max_length, answer, len(prompt))


def _truncate_input(record, tokenizer, style, max_length, answer, full_prompt_len):
    """Cut the end of the input text until prompt + answer fits ``max_length``.

    Cutting is done on the input's own tokens and the prompt re-rendered, so the template
    around the input stays intact; re-tokenising can merge tokens differently at the cut, so we
    re-check and cut further until it fits.
    """
    text = record["input"]
    pieces = _token_ends(tokenizer, text)  # character end of each input token
    keep = len(pieces) - (full_prompt_len + len(answer) - max_length)
    while True:
        keep = max(keep, 0)
        cut = text[: pieces[keep - 1]] if keep else ""
        prompt_text = build_prompt({**record, "input": cut}, style, tokenizer)
        prompt = _prompt_ids(tokenizer, prompt_text, style)
        over = len(prompt) + len(answer) - max_length
        if over <= 0:
            return Encoded(prompt + answer, len(prompt), truncated=True)
        if keep == 0:
            return None
        keep -= over


def _token_ends(tokenizer, text: str) -> list[int]:
    if tokenizer.is_fast:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return [end for _, end in enc["offset_mapping"]]
    # Slow tokenizers have no offsets: measure the decoded prefix of each token instead.
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return [len(tokenizer.decode(ids[: i + 1])) for i in range(len(ids))]


def encode_split(
    records, tokenizer, style: str = "alpaca", max_length: int = 2048, chunk: int = 1000
) -> EncodedSplit:
    """Tokenise every record of a split (any iterable of dicts, e.g. a ``datasets.Dataset``).

    Same result as ``encode_record`` per record; records are tokenised in batches for speed.
    """
    out = EncodedSplit(samples=[])
    batch: list[dict] = []
    for record in records:
        batch.append(record)
        if len(batch) == chunk:
            _encode_batch(batch, tokenizer, style, max_length, out)
            batch = []
    if batch:
        _encode_batch(batch, tokenizer, style, max_length, out)
    return out


def _encode_batch(records: list[dict], tokenizer, style, max_length, out: EncodedSplit) -> None:
    prompts = [build_prompt(r, style, tokenizer) for r in records]
    prompt_ids = tokenizer(prompts, add_special_tokens=style != "chat")["input_ids"]
    outputs = tokenizer([r["output"] for r in records], add_special_tokens=False)["input_ids"]
    for record, prompt, output in zip(records, prompt_ids, outputs, strict=True):
        answer = output + [tokenizer.eos_token_id]
        if len(prompt) + len(answer) <= max_length:
            out.samples.append(Encoded(prompt + answer, len(prompt)))
            continue
        encoded = _truncate_input(record, tokenizer, style, max_length, answer, len(prompt))
        if encoded is None:
            out.dropped[DROP_TOO_LONG] += 1
        else:
            out.truncated += 1
            out.samples.append(encoded)
