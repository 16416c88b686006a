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
from benchmark.tasks import REGISTRY
from ecinstruct.errors import UserError
from training.prompt import build_prompt

Progress = Callable[[int], None]
TrainLoader = Callable[[], list[dict]]


class PredictionsBackend:
    """Answers read from a JSONL file of {"id", "prediction"}; "gold" answers with the outputs."""

    def __init__(self, source: str):
        self.source = source
        self.by_id: dict[str, str] | None = None if source == "gold" else _read_jsonl(Path(source))

    def describe(self) -> dict:
        return {"kind": "predictions", "source": self.source}

    def predict(self, task: str, records: Sequence[dict], train: TrainLoader, progress: Progress):
        progress(len(records))
        if self.by_id is None:
            return [r["output"] for r in records], {}
        texts = [self.by_id.get(r["id"]) for r in records]
        return texts, {"missing": sum(t is None for t in texts)}


def _read_jsonl(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise UserError(f"predictions file {path} does not exist")
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
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


class ModelBackend:
    """A transformers model (training.models resolves aliases, folders and Hub ids), an optional
    peft adapter merged in, batched greedy generation with the trainer's prompt."""

    def __init__(self, model: str, adapter: str | None, prompt: str, batch_size: int, device=None):
        if adapter is not None and not Path(adapter).is_dir():
            raise UserError(f"adapter folder {adapter} does not exist")
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
                model = PeftModel.from_pretrained(model, self.adapter).merge_and_unload().eval()
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
