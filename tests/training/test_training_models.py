import pytest

from training import models
from training.models import ModelLoadError, load_model_and_tokenizer, resolve_model


def test_local_folder_loads_with_pad_token(tiny_model_dir):
    model, tokenizer = load_model_and_tokenizer(str(tiny_model_dir), device="cpu")
    assert tokenizer.pad_token_id == tokenizer.eos_token_id
    assert model.config.pad_token_id == tokenizer.pad_token_id
    assert str(model.dtype) == "torch.float32" and not model.training
    assert models.lora_target_modules(model) == [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"
    ]  # fmt: skip


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no such folder"):
        resolve_model(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_hub_id_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: False)
    assert resolve_model("someone/some-model") == "someone/some-model"
    with pytest.raises(ValueError, match="not a local folder and the Hub is unreachable"):
        load_model_and_tokenizer("someone/some-model-not-cached")


def test_alias_without_package(monkeypatch):
    monkeypatch.setitem(models.ALIASES, "ghost", ("no_such_package_xyz", "x.gguf"))
    with pytest.raises(ModelLoadError, match="package no-such-package-xyz is not installed"):
        resolve_model("ghost")


@pytest.mark.slow
def test_smollm2_alias_converts_once(tmp_path, monkeypatch):
    """Dequantise the packaged GGUF into a cached safetensors folder (about a minute)."""
    pytest.importorskip("gguf")
    try:
        models.alias_gguf(models.SMOLLM2_ALIAS)
    except ModelLoadError as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("ECINSTRUCT_CACHE", str(tmp_path))
    model, tokenizer = load_model_and_tokenizer(models.SMOLLM2_ALIAS, device="cpu")
    folder = tmp_path / "models" / models.SMOLLM2_ALIAS
    assert (folder / "model.safetensors").is_file()
    assert [p.name for p in tmp_path.joinpath("models").iterdir()] == [models.SMOLLM2_ALIAS]
    assert model.config.num_hidden_layers == 30 and tokenizer.chat_template
    assert tokenizer.pad_token is not None
    assert resolve_model(models.SMOLLM2_ALIAS) == folder  # cached: no second conversion
