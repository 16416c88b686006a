"""Where answers come from: a prediction file, the gold outputs, a baseline, a local model, an
OpenAI-compatible server, or vLLM. Every backend answers a list of records of one task with
raw texts (in record order) plus counts worth reporting (missing ids, truncated prompts).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmark import baselines
from benchmark.generation import STOP, generate
from benchmark.runner import read_object
from benchmark.tasks import REGISTRY
from ecinstruct.errors import UserError, first_line
from training.prompt import build_prompt

Progress = Callable[[int], None]
TrainLoader = Callable[[], list[dict]]


class PredictionsBackend:
    """Answers read from a JSONL file of {"id", "prediction"}; "gold" answers with the outputs."""

    def __init__(self, source: str):
        self.source = source
        self.by_id: dict[str, str] | None = None if source == "gold" else _read_jsonl(Path(source))
        if self.by_id == {}:
            raise UserError(f"predictions file {source} holds no predictions")

    def describe(self) -> dict:
        return {"kind": "predictions", "source": self.source}

    def check(self, pairs: Sequence[tuple[str, str, Sequence[dict]]]) -> None:
        """A file whose ids match none of the samples to score is the wrong file (or the wrong
        dataset): refused before anything is written. Some missing ids are only counted."""
        if self.by_id is None:
            return
        total = sum(len(records) for _, _, records in pairs)
        if not any(r["id"] in self.by_id for _, _, records in pairs for r in records):
            raise UserError(
                f"predictions file {self.source} has no prediction for any of the {total} "
                "selected samples: its ids match none of the dataset's"
            )

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        progress(len(records))
        if self.by_id is None:
            return [r["output"] for r in records], {}
        texts = [self.by_id.get(r["id"]) for r in records]
        return texts, {"missing": sum(t is None for t in texts)}


def _read_jsonl(path: Path) -> dict[str, str]:
    if path.is_dir():
        raise UserError(f"predictions file {path} is a folder, not a JSONL file")
    if not path.is_file():
        raise UserError(f"predictions file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"predictions file {path} cannot be read: {first_line(exc)}") from None
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key, text = str(row["id"]), row["prediction"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(f"{path} line {n}: not a JSON object with id and prediction") from None
        if key in out and out[key] != text:
            raise UserError(f"{path} line {n}: id {key} has two different predictions")
        out[key] = "" if text is None else str(text)
    return out


class BaselineBackend:
    def __init__(self, name: str, seed: int = 0):
        self.name, self.seed = name, seed

    def describe(self) -> dict:
        return {"kind": "baseline", "baseline": self.name, "seed": self.seed}

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        needs_train = self.name != "random"
        texts = baselines.predict(
            self.name, task, train() if needs_train else [], records, self.seed
        )
        progress(len(records))
        return texts, {}


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")  # peft's file names


def check_adapter(adapter: str | None) -> None:
    """A UserError unless `adapter` (when given) is a peft adapter folder: one that holds an
    adapter_config.json (a JSON object) and adapter weights. Checked before any model loads;
    whether the adapter fits the model shows when it is applied."""
    if adapter is None:
        return
    path = Path(adapter).expanduser()
    if not path.exists():
        raise UserError(f"adapter folder {adapter} does not exist")
    if not path.is_dir():
        raise UserError(f"adapter folder {adapter} is a file, not a folder")
    config = path / "adapter_config.json"
    if not config.is_file():
        raise UserError(
            f"adapter folder {adapter} has no adapter_config.json: not a peft (LoRA) adapter "
            "(e.g. the --out of python -m training)"
        )
    read_object(config)
    if not any((path / name).is_file() for name in ADAPTER_WEIGHTS):
        raise UserError(
            f"adapter folder {adapter} has no adapter weights ({' or '.join(ADAPTER_WEIGHTS)})"
        )


def check_model(name: str) -> None:
    """What can be told about model `name` without loading it: an alias's package is installed,
    a folder has a config.json (or is an adapter), a path exists. A Hub id is checked when it
    loads (nothing is written before that)."""
    from training import models

    if name in models.ALIASES:
        models.alias_gguf(name)
        return
    path = Path(name).expanduser()
    if path.is_dir() or not path.exists():
        # A folder: checks its config.json; a missing path: says so; a Hub id: as it is.
        models.resolve_model(name)
    elif path.suffix != ".gguf":
        raise UserError(f"cannot load model {name}: a file, not a model folder or .gguf file")


class ModelBackend:
    """A transformers model (training.models resolves aliases, folders and Hub ids), an optional
    peft adapter merged in, batched greedy generation with the trainer's prompt."""

    def __init__(self, model: str, adapter: str | None, prompt: str, batch_size: int, device=None):
        check_adapter(adapter)
        check_model(model)
        self.name, self.adapter, self.prompt = model, adapter, prompt
        self.batch_size, self.device = batch_size, device
        self._loaded = None  # loaded on first use: a fully resumed run never loads the model

    def describe(self) -> dict:
        return {"kind": "model", "model": self.name, "adapter": self.adapter, "prompt": self.prompt}

    def prepare(self) -> None:
        """Load the model now, before a progress bar is drawn for its first predictions."""
        self._load()

    def _load(self):
        if self._loaded is None:
            from training.models import load_model_and_tokenizer

            model, tokenizer = load_model_and_tokenizer(self.name, device=self.device)
            if self.adapter is not None:
                from peft import PeftModel

                # Merging makes generation as fast as the base model's.
                try:
                    model = PeftModel.from_pretrained(model, self.adapter)
                except (OSError, ValueError, KeyError, RuntimeError) as exc:
                    raise UserError(
                        f"cannot apply adapter {self.adapter} to model {self.name}: "
                        f"{first_line(exc)}"
                    ) from None
                model = model.merge_and_unload().eval()
            self._loaded = model, tokenizer
        return self._loaded

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        model, tokenizer = self._load()
        prompts = [build_prompt(r, self.prompt, tokenizer) for r in records]
        texts, truncated = generate(
            model,
            tokenizer,
            prompts,
            REGISTRY[task].max_new_tokens,
            self.batch_size,
            # A chat template already writes the special tokens it wants.
            add_special_tokens=self.prompt == "alpaca",
            progress=progress,
            groups=[r["instruction"] for r in records],  # one shared prefix per wording
        )
        return texts, {"truncated": truncated}


class EndpointBackend:
    """An OpenAI-compatible server's /v1/completions, temperature 0, with the alpaca prompt."""

    def __init__(self, url: str, model: str, prompt: str, batch_size: int, timeout: float = 600):
        if prompt != "alpaca":
            raise UserError("--endpoint sends plain completions: use --prompt alpaca")
        base = url.rstrip("/")
        self.url = (
            base
            if base.endswith("/completions")
            else (f"{base}/completions" if base.endswith("/v1") else f"{base}/v1/completions")
        )
        self.model, self.batch_size, self.timeout = model, batch_size, timeout

    def describe(self) -> dict:
        return {"kind": "endpoint", "url": self.url, "model": self.model, "prompt": "alpaca"}

    def complete(self, prompts: list[str], max_tokens: int) -> list[str]:
        body = {
            "model": self.model,
            "prompt": prompts,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stop": list(STOP),
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                choices = json.loads(response.read())["choices"]
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace").strip().splitlines()[:1]
            raise UserError(
                f"endpoint {self.url} answered {exc.code}: {' '.join(detail)}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise UserError(
                f"endpoint {self.url} unreachable: {getattr(exc, 'reason', exc)}"
            ) from None
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UserError(
                f"endpoint {self.url} did not answer an OpenAI completions object"
            ) from None
        if len(choices) != len(prompts):
            raise UserError(
                f"endpoint {self.url} answered {len(choices)} choices for {len(prompts)} prompts"
            )
        choices = sorted(choices, key=lambda c: c.get("index", 0))
        return [str(c.get("text") or "") for c in choices]

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        prompts = [build_prompt(r, "alpaca") for r in records]
        texts: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            texts += self.complete(batch, REGISTRY[task].max_new_tokens)
            progress(len(batch))
        return texts, {}


class VLLMBackend:
    """In-process vLLM (GPU only): the same prompts and per-task lengths, temperature 0.
    Used only when vllm imports and CUDA is present."""

    def __init__(self, model: str, adapter: str | None, prompt: str):
        try:
            import torch
            import vllm  # noqa: F401
        except ImportError:
            raise UserError("--engine vllm needs the vllm package (pip install vllm)") from None
        if not torch.cuda.is_available():
            raise UserError("--engine vllm needs a CUDA GPU; use --engine hf on this machine")
        check_adapter(adapter)
        check_model(model)
        self.name, self.adapter, self.prompt = model, adapter, prompt
        self._llm = None

    def describe(self) -> dict:
        return {"kind": "vllm", "model": self.name, "adapter": self.adapter, "prompt": self.prompt}

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        from vllm import LLM, SamplingParams
        from vllm.lora.request import LoRARequest

        from training.models import resolve_model

        if self._llm is None:
            self._llm = LLM(
                model=str(resolve_model(self.name)), enable_lora=self.adapter is not None
            )
        tokenizer = self._llm.get_tokenizer()
        prompts = [build_prompt(r, self.prompt, tokenizer) for r in records]
        params = SamplingParams(
            temperature=0, max_tokens=REGISTRY[task].max_new_tokens, stop=list(STOP)
        )
        lora = LoRARequest("adapter", 1, self.adapter) if self.adapter else None
        outputs = self._llm.generate(prompts, params, lora_request=lora)
        progress(len(records))
        return [o.outputs[0].text for o in outputs], {}
