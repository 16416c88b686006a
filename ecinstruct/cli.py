"""Command line: each command is a thin layer over one library function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ecinstruct import signals
from ecinstruct.config import DEFAULT_OUT, BuildConfig
from ecinstruct.errors import UserError
from ecinstruct.progress import console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Build, check, report and publish ECInstruct e-commerce instruction data.",
    pretty_exceptions_enable=False,
)


def _tasks(value: str | None) -> tuple[str, ...]:
    from ecinstruct.tasks import full_names

    if value is None:
        return ()
    names = full_names(t.strip() for t in value.split(",") if t.strip())
    if not names:
        raise UserError(f"--tasks {value!r} names no task; leave it out to build every task")
    return names


@app.command()
def build(
    sources: Annotated[
        Path | None, typer.Option(help="Build configuration TOML; default: the built-in sample.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output dataset folder.")] = DEFAULT_OUT,
    per_task: Annotated[
        int | None,
        typer.Option(help="About N training samples per task; other splits scale alike."),
    ] = None,
    tasks: Annotated[
        str | None,
        typer.Option(help="Comma-separated task names or short names, e.g. SA,PM (default: all)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for every sampling and split decision.")] = 0,
    ood_fraction: Annotated[
        float,
        typer.Option(help="Products held out for test_ood when a source names no ood_categories."),
    ] = 0.1,
    sample_scale: Annotated[
        float | None,
        typer.Option(
            help="Size of the built-in sample when --sources is not given.", show_default="1.0"
        ),
    ] = None,
    allow_failed_checks: Annotated[
        bool,
        typer.Option(
            help="Write the dataset even when the quality gate fails (marked not publishable)."
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Build a Hub-ready dataset folder from raw sources.

    Example: python -m ecinstruct build --sources ../shared/data/real/sources.toml --out build/real
    """
    from ecinstruct.build import run
    from ecinstruct.summary import print_summary

    if sources is not None and sample_scale is not None:
        raise UserError(
            "--sample-scale sizes the built-in sample, which --sources replaces; give one or "
            "the other"
        )
    config = BuildConfig(
        sources=sources,
        out=out,
        seed=seed,
        per_task=per_task,
        tasks=_tasks(tasks),
        ood_fraction=ood_fraction,
        sample_scale=1.0 if sample_scale is None else sample_scale,
        allow_failed_checks=allow_failed_checks,
        progress=progress,
    )
    manifest = run(config)
    print_summary(manifest, out)
    if not manifest["gate"]["passed"] and not allow_failed_checks:
        raise typer.Exit(1)


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder for the raw files and their sources.toml.")],
    scale: Annotated[
        float, typer.Option(help="1 = the built-in sample; 65 = about 2M reviews, 500k products.")
    ] = 1.0,
    seed: Annotated[int, typer.Option()] = 0,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Write raw sample files in every published source format, plus a sources.toml.

    Example: python -m ecinstruct sample --out /tmp/sample --scale 2
    """
    from ecinstruct.config import check_scale, check_seed
    from ecinstruct.sample import generate
    from ecinstruct.sample.generate import foreign_files, is_sample_folder
    from ecinstruct.writer import atomic_folder, check_replaceable

    check_scale(scale)
    check_seed(seed)
    check_replaceable(out, is_sample_folder, "a sample ECInstruct wrote", foreign_files)
    with atomic_folder(out) as tmp:
        generate(tmp, scale=scale, seed=seed, progress=progress)
    console.print(
        f"wrote sample to {out} (use: python -m ecinstruct build --sources {out / 'sources.toml'})",
        markup=False,
    )


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="A built dataset folder.")] = DEFAULT_OUT,
) -> None:
    """Run every data check on a built dataset folder; exit 0 when the gate passes, 1 when not.

    Example: python -m ecinstruct validate build/ecinstruct
    """
    from quality.validate import print_validation, validate_folder

    result = validate_folder(folder)
    print_validation(result)
    if not result["passed"]:
        raise typer.Exit(1)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="A built dataset folder.")] = DEFAULT_OUT,
) -> None:
    """Check a built dataset folder as it is now (the checks of `validate`) and write
    quality_report.html and quality_report.md into it; exit 1 when the quality gate fails
    (now, or at build time).

    Example: python -m ecinstruct report build/ecinstruct
    """
    from quality.report import build_context, write_report
    from quality.validate import validate_folder

    checks = validate_folder(folder)
    context = build_context(folder, rechecked=checks)
    for path in write_report(folder, context):
        console.print(f"wrote {path}", markup=False)
    if context["summary"]["gate_ok"]:
        console.print("quality gate: passed", markup=False)
        return
    failed = sum(1 for r in checks["results"] if not r["success"] and r["severity"] == "critical")
    why = f"{failed} critical checks fail now" if failed else "it failed at build time"
    console.print(f"quality gate: FAILED ({why}; see the report)", markup=False)
    raise typer.Exit(1)


@app.command()
def publish(
    folder: Annotated[Path, typer.Argument(help="A built dataset folder.")],
    repo_id: Annotated[str, typer.Option(help="NAMESPACE/NAME on the Hub.")],
    revision: Annotated[str | None, typer.Option(help="Branch to push to.")] = None,
    tag: Annotated[str | None, typer.Option(help="Tag the pushed commit.")] = None,
    private: Annotated[bool, typer.Option(help="Create the repo as private.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Print what would be uploaded; upload nothing.")
    ] = False,
) -> None:
    """Publish a built, checked dataset folder to the Hugging Face Hub.

    Example: python -m ecinstruct publish build/ecinstruct --repo-id me/ecinstruct --tag v0.1
    """
    from ecinstruct.publish import publish as do_publish

    do_publish(folder, repo_id, revision=revision, tag=tag, private=private, dry_run=dry_run)


def main() -> None:
    from ecinstruct.build import BuildFailed

    signals.take_signals()
    try:
        app()
    except UserError as e:
        _stopped()
        console.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        raise SystemExit(e.exit_code) from None
    except BuildFailed as e:
        console.print(f"[red]build failed:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        raise SystemExit(1) from None
    except SystemExit as e:
        # typer ends a command that a KeyboardInterrupt stopped with a silent exit 130.
        if e.code not in (0, None):
            _stopped()
        raise
    except BaseException:
        # KeyboardInterrupt or Terminated, or an error a library made of one (polars: "UDF
        # failed"), or an error in the clean-up they started.
        _stopped()
        raise


def _stopped() -> None:
    """Once Ctrl-C, SIGTERM or SIGHUP was received: say so, and exit with 130, 143 or 129."""
    status = signals.stopped("earlier output left as it was")
    if status is not None:
        raise SystemExit(status) from None
