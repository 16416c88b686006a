import json

import pytest
import torch
from typer.testing import CliRunner

from training import batching
from training.__main__ import app
from training.data import encode_split, load_splits
from training.models import load_model, load_model_and_tokenizer, load_tokenizer
from training.train import Dist, ResponseLoss, TrainConfig, run_step, train

TASKS = ("sentiment_analysis", "product_matching")


def _config(dataset_dir, tiny_model_dir, out, **overrides):
    settings = dict(
        dataset=str(dataset_dir),
        model=str(tiny_model_dir),
        out=out,
        tasks=TASKS,
        batch_size=8,
        max_steps=6,
        lr=2e-2,
        lora_alpha=32,
        eval_every=3,
        micro_batch_tokens=600,
        progress=False,
    )
    return TrainConfig(**{**settings, **overrides})


@pytest.fixture(scope="module")
def trained(dataset_dir, tiny_model_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    metrics = train(_config(dataset_dir, tiny_model_dir, out, merge=True))
    return out, metrics


def test_loss_drops_and_outputs_are_written(trained):
    out, metrics = trained
    losses = [r["loss"] for r in metrics["train"]]
    assert len(losses) == 6
    assert losses[-1] < losses[0] - 0.1
    val = metrics["validation"]
    assert [r["step"] for r in val] == [0, 3, 6]  # step 0: the base model, before training
    assert metrics["initial_validation_loss"] == val[0]["loss"]
    assert metrics["best_validation_loss"] == min(r["loss"] for r in val)
    assert metrics["best_validation_loss"] < metrics["initial_validation_loss"]
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                 "loss_curve.png", "merged/model.safetensors"):  # fmt: skip
        assert (out / name).is_file(), name
    assert json.loads((out / "metrics.json").read_text())["steps"] == 6
    config = json.loads((out / "config.json").read_text())
    assert config["lora_target_modules"] == [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"
    ]  # fmt: skip
    assert config["total_steps"] == 6 and config["train_samples"] == 48
    # Its own model card, not peft's empty template.
    card = (out / "README.md").read_text()
    assert "More Information Needed" not in card and "library_name: peft" in card
    best = metrics["best_validation_loss"]
    assert f"{best:.4f} at its best (step {metrics['best_step']}" in card
    assert "| lora_r | 16 |" in card and "after\n6 optimizer steps" in card


def _val_loss(model, tokenizer, dataset_dir):
    samples = encode_split(load_splits(str(dataset_dir), TASKS)["validation"], tokenizer).samples
    batch = batching.collate(samples, tokenizer.pad_token_id)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    labels = batch["labels"][:, 1:]
    return torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="mean"
    ).item(), logits


def test_saved_adapter_reloads_to_the_best_validation_loss(trained, tiny_model_dir, dataset_dir):
    from peft import PeftModel

    out, metrics = trained
    tokenizer = load_tokenizer(str(tiny_model_dir))
    base = load_model(str(tiny_model_dir), device="cpu")
    base_loss, _ = _val_loss(base, tokenizer, dataset_dir)
    adapted = PeftModel.from_pretrained(base, out).eval()
    loss, logits = _val_loss(adapted, tokenizer, dataset_dir)
    assert loss == pytest.approx(metrics["best_validation_loss"], abs=1e-5)
    assert loss < base_loss
    merged = load_model(str(out / "merged"), device="cpu")
    _, merged_logits = _val_loss(merged, tokenizer, dataset_dir)
    assert torch.allclose(logits, merged_logits, atol=1e-4)
    run_model, _ = load_model_and_tokenizer(str(out), device="cpu")  # a run folder is a model
    _, run_logits = _val_loss(run_model, tokenizer, dataset_dir)
    assert torch.allclose(logits, run_logits, atol=1e-4)


def test_resume_continues_like_an_uninterrupted_run(dataset_dir, tiny_model_dir, tmp_path):
    settings = dict(max_steps=4, eval_every=2)
    full = train(_config(dataset_dir, tiny_model_dir, tmp_path / "full", **settings))
    part = _config(dataset_dir, tiny_model_dir, tmp_path / "part", stop_after=2, **settings)
    first = train(part)
    assert first["steps"] == 2
    with pytest.raises(Exception, match="already holds a training run"):
        train(part)
    part.resume, part.stop_after = True, None
    resumed = train(part)
    assert resumed["steps"] == 4
    assert [r["step"] for r in resumed["train"]] == [1, 2, 3, 4]
    assert [r["loss"] for r in resumed["train"]] == pytest.approx(
        [r["loss"] for r in full["train"]], abs=1e-6
    )
    assert resumed["best_validation_loss"] == pytest.approx(full["best_validation_loss"], abs=1e-6)
    part.lr = 1e-3
    with pytest.raises(Exception, match="cannot resume: settings differ.*--lr"):
        train(part)


def test_micro_batching_gives_the_micro_batch_1_gradient(dataset_dir, tiny_model_dir):
    """Packing a step into padded micro-batches must not change its gradient or loss."""
    from peft import LoraConfig, get_peft_model

    tokenizer = load_tokenizer(str(tiny_model_dir))
    samples = encode_split(load_splits(str(dataset_dir), TASKS)["train"], tokenizer).samples
    torch.manual_seed(0)
    lora = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "down_proj"])
    peft_model = get_peft_model(load_model(str(tiny_model_dir), device="cpu"), lora)
    for name, p in peft_model.named_parameters():
        if "lora_B" in name:  # B starts at zero, which would leave A's gradient at zero
            torch.nn.init.normal_(p, std=0.1)
    module = ResponseLoss(peft_model).train()

    def grads(budget):
        step = batching.plan_epoch(samples[:8], 8, budget, seed=0, epoch=0)[0]
        peft_model.zero_grad()
        loss, _ = run_step(module, step, samples, tokenizer, Dist())
        found = {n: p.grad.clone() for n, p in peft_model.named_parameters() if p.grad is not None}
        return loss, found, len(step.micro_batches)

    packed_loss, packed, n_packed = grads(10_000)
    single_loss, single, n_single = grads(1)
    assert (n_packed, n_single) == (1, 8)
    assert packed_loss == pytest.approx(single_loss, rel=1e-5)
    assert packed.keys() == single.keys() and len(packed) == 8
    for name in packed:
        assert torch.allclose(packed[name], single[name], atol=1e-6, rtol=1e-4), name

    # The loss equals the token-weighted mean of the model's own per-sample losses.
    total = weighted = 0
    with torch.no_grad():
        for s in samples[:8]:
            batch = batching.collate([s], tokenizer.pad_token_id)
            n = len(s.input_ids) - s.prompt_len
            weighted += peft_model(**batch).loss.item() * n
            total += n
    assert packed_loss == pytest.approx(weighted / total, rel=1e-5)


def test_cli_unknown_task_is_one_line_exit_2(dataset_dir, tiny_model_dir, tmp_path):
    args = ["--dataset", str(dataset_dir), "--model", str(tiny_model_dir)]
    args += ["--out", str(tmp_path / "x"), "--tasks", "sentiment_analysis,nope"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unknown task nope")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--lr", "-1"], "error: --lr must be a positive number"),
        (["--lr", "nan"], "error: --lr must be a positive number"),
        (["--seed", "-1"], "error: --seed must be a whole number from 0 to 2**32 - 1"),
        (["--seed", str(2**32)], "error: --seed must be a whole number from 0 to 2**32 - 1"),
        (["--epochs", "0"], "error: --epochs must be at least 1"),
        (["--tasks", ","], "error: --tasks ',' names no task"),
    ],
)
def test_cli_bad_settings_are_one_line_exit_2_before_loading(
    dataset_dir, tiny_model_dir, tmp_path, flags, message
):
    args = ["--dataset", str(dataset_dir), "--model", str(tiny_model_dir)]
    args += ["--out", str(tmp_path / "x"), *flags]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert not (tmp_path / "x").exists()


def test_eval_samples_spreads_a_small_validation_set_over_tasks(dataset_dir):
    from training.train import subsample_by_task

    validation = load_splits(str(dataset_dir), TASKS)["validation"]
    picked = subsample_by_task(validation, 4, seed=0)
    assert len(picked) == 4
    assert sorted(picked["task"]) == sorted(TASKS * 2)
    assert picked["id"] == subsample_by_task(validation, 4, seed=0)["id"]  # deterministic
    assert subsample_by_task(validation, None, seed=0) is validation
    assert len(subsample_by_task(validation, 10_000, seed=0)) == len(validation)


def test_torchrun_two_processes_train_like_one(dataset_dir, tiny_model_dir, tmp_path):
    """Data parallel on CPU (gloo): two ranks share each step's samples, and the losses match
    a single process's run (LoRA dropout off: its masks are drawn per rank)."""
    import os
    import shutil
    import subprocess
    import sys

    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.skip("torchrun is not installed beside this Python")
    settings = dict(max_steps=3, eval_every=3, lora_dropout=0.0)
    single = train(_config(dataset_dir, tiny_model_dir, tmp_path / "single", **settings))
    out = tmp_path / "ddp"
    cmd = [
        torchrun, "--standalone", "--nproc_per_node", "2", "-m", "training",
        "--dataset", str(dataset_dir), "--model", str(tiny_model_dir), "--out", str(out),
        "--tasks", ",".join(TASKS), "--batch-size", "8", "--max-steps", "3", "--lr", "2e-2",
        "--lora-alpha", "32", "--lora-dropout", "0", "--eval-every", "3",
        "--micro-batch-tokens", "600",
        "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ddp = json.loads((out / "metrics.json").read_text())
    assert ddp["world_size"] == 2
    assert [r["loss"] for r in ddp["train"]] == pytest.approx(
        [r["loss"] for r in single["train"]], abs=1e-5
    )
    assert ddp["best_validation_loss"] == pytest.approx(single["best_validation_loss"], abs=1e-5)


def test_cli_takes_task_short_names_and_repeats():
    from training.__main__ import _tasks

    assert _tasks(["SA,pm", "answer_generation", "sa"]) == (
        "sentiment_analysis",
        "product_matching",
        "answer_generation",
    )


def test_a_max_length_nothing_fits_in_says_so(dataset_dir, tiny_model_dir, tmp_path):
    from ecinstruct.errors import UserError

    with pytest.raises(UserError, match=r"no train samples left .*too_long_without_input.*3"):
        train(_config(dataset_dir, tiny_model_dir, tmp_path / "x", max_length=3))


def test_ctrl_c_ends_the_run_after_its_step_with_a_checkpoint(
    dataset_dir, tiny_model_dir, tmp_path, monkeypatch
):
    import signal

    from ecinstruct import signals
    from training import checkpoint

    settings = dict(max_steps=4, eval_every=2)
    full = train(_config(dataset_dir, tiny_model_dir, tmp_path / "full", **settings))
    asked = []

    def received():  # Ctrl-C during the third step: the trainer asks once per step
        asked.append(1)
        return signal.SIGINT if len(asked) >= 3 else None

    monkeypatch.setattr(signals, "received", received)
    part = _config(dataset_dir, tiny_model_dir, tmp_path / "part", **settings)
    first = train(part)
    assert (first["steps"], first["stopped_by"]) == (3, "interrupted")
    # Step 3 is no validation step: its checkpoint is there because the run was stopped.
    saved = torch.load(tmp_path / "part" / "checkpoint" / checkpoint.STATE_FILE, weights_only=False)
    assert saved["step"] == 3
    assert (
        json.loads((tmp_path / "part" / "metrics.json").read_text())["stopped_by"] == "interrupted"
    )
    monkeypatch.undo()
    # A run killed outright while saving left this behind.
    import socket
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    half = tmp_path / "part" / ".checkpoint.tmp-0badc0de"
    half.mkdir()
    (tmp_path / "part" / ".checkpoint.tmp-0badc0de.owner").write_text(
        f"{socket.gethostname()} {gone.pid}"
    )
    part.resume = True
    resumed = train(part)
    assert (resumed["steps"], resumed["stopped_by"]) == (4, None)
    assert not half.exists()
    assert [r["loss"] for r in resumed["train"]] == pytest.approx(
        [r["loss"] for r in full["train"]], abs=1e-6
    )


def _cli_error(dataset_dir, tiny_model_dir, out, *flags) -> str:
    args = ["--dataset", str(dataset_dir), "--model", str(tiny_model_dir), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--no-progress", *flags])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


@pytest.fixture
def no_loading(monkeypatch):
    """train() fails the test if it gets as far as loading the tokenizer (and so anything)."""
    import training.train

    def load_tokenizer(name):
        raise AssertionError("loaded the model before refusing --out")

    monkeypatch.setattr(training.train, "load_tokenizer", load_tokenizer)


def test_an_out_that_cannot_be_a_folder_is_refused_before_loading(
    dataset_dir, tiny_model_dir, tmp_path, no_loading
):
    from ecinstruct.errors import UserError

    afile = tmp_path / "afile"
    afile.write_text("keep me")
    line = _cli_error(dataset_dir, tiny_model_dir, afile)
    assert line == f"error: {afile} exists and is not a folder; choose another --out"
    line = _cli_error(dataset_dir, tiny_model_dir, afile / "sub")
    assert line == (
        f"error: {afile / 'sub'} cannot be made: {afile} is a file, not a folder; "
        "choose another --out"
    )
    assert afile.read_text() == "keep me"
    with pytest.raises(UserError, match="is a file, not a folder"):  # train() checks it too
        train(_config(dataset_dir, tiny_model_dir, afile / "sub" / "deeper"))


def test_a_dataset_folder_is_no_out(dataset_dir, tiny_model_dir, tmp_path, no_loading):
    import shutil

    from ecinstruct.build import is_build_folder
    from training.train import check_out

    built = tmp_path / "built"
    shutil.copytree(dataset_dir, built)
    (built / "build.json").write_text('{"ecinstruct_version": "0"}')
    assert is_build_folder(built)
    before = sorted(p.relative_to(built) for p in built.rglob("*"))
    card = (built / "README.md").read_text()
    line = _cli_error(dataset_dir, tiny_model_dir, built)
    assert line.startswith(f"error: --out {built} is a dataset folder: a rebuild would delete")
    line = _cli_error(dataset_dir, tiny_model_dir, built / "runs" / "x", "--resume")
    assert line.startswith(f"error: --out {built / 'runs' / 'x'} is inside {built}, which is a")
    assert sorted(p.relative_to(built) for p in built.rglob("*")) == before
    assert (built / "README.md").read_text() == card
    # Another tool's build.json makes no dataset folder.
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "build.json").write_text('{"steps": []}')
    assert check_out(tmp_path / "repo" / "runs" / "x", resume=False) is None


def test_a_folder_that_is_no_run_is_no_out(dataset_dir, tiny_model_dir, tmp_path, no_loading):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "README.md").write_text("mine")
    for folder in (notes, tiny_model_dir):  # a model folder has a config.json, not a run's
        for flags in ([], ["--resume"]):
            line = _cli_error(dataset_dir, tiny_model_dir, folder, *flags)
            assert line.startswith(f"error: --out {folder} already holds files and is not a")
    assert [p.name for p in notes.iterdir()] == ["README.md"]
    assert (notes / "README.md").read_text() == "mine"


def test_resume_with_nothing_to_resume_starts_a_new_run_and_says_so(tmp_path):
    # A job that always passes --resume (a preemptible one, requeued) starts its first attempt.
    from training.train import check_out

    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new", tmp_path / "empty"):
        note = check_out(out, resume=True)
        assert note == f"nothing to resume in {out} (no checkpoint yet); starting a new run"
        assert check_out(out, resume=False) is None
    assert not (tmp_path / "new").exists()


def test_a_run_killed_before_its_first_checkpoint_starts_again(
    dataset_dir, tiny_model_dir, tmp_path, monkeypatch, capsys
):
    """A run marks its folder (config.json) before anything else, so its own folder is never
    refused as someone else's; with no checkpoint there, only a new start makes sense."""
    import training.train
    from training.train import check_out, is_run_folder

    out = tmp_path / "run"
    config = _config(dataset_dir, tiny_model_dir, out, max_steps=1)

    def killed(*args, **kwargs):
        raise RuntimeError("killed during the first validation")

    monkeypatch.setattr(training.train, "evaluate", killed)
    with pytest.raises(RuntimeError, match="killed"):
        train(config)
    monkeypatch.undo()
    assert is_run_folder(out) and not (out / "checkpoint").exists()
    assert "starting it again" in check_out(out, resume=True)
    assert train(config)["steps"] == 1
    assert "holds a run stopped before its first checkpoint; starting it again" in (
        capsys.readouterr().err
    )
    assert json.loads((out / "config.json").read_text())["total_steps"] == 1
    config.resume = True
    assert train(config)["steps"] == 1  # its checkpoint is there now
