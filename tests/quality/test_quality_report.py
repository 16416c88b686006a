import base64
import shutil
import subprocess
import tempfile

import polars as pl
import pytest

from quality.report import write_report


@pytest.fixture(scope="module")
def report_folder(tmp_path_factory, synth, tasks, good_records):
    folder = tmp_path_factory.mktemp("report") / "ds"
    quality = {
        "candidates": {
            t: {"pii": {"email": 2, "url": 1, "phone": 0, "name": 0}, "dropped": {}}
            for t in tasks
        },
        "decontamination": {t: {"dropped": {"near_duplicate_of_train": 1}} for t in tasks},
        "suites": {
            "passed": False,
            "results": [
                {"suite": "task:sentiment_analysis", "expectation":
                 "expect_column_values_to_be_in_set(output)", "success": False,
                 "unexpected_count": 1, "examples": [{"id": "x1", "output": "<superb>"}],
                 "severity": "critical", "description": "output is one of the task's options"},
                {"suite": "records", "expectation": "expect_column_values_to_be_unique(id)",
                 "success": True, "unexpected_count": 0, "examples": [], "severity": "critical",
                 "description": "ids are unique"},
            ],
        },
    }  # fmt: skip
    synth.write_folder(folder, good_records, quality)
    return folder


SECTIONS = ["summary", "samples", "balance", "lengths", "drops", "pii", "checks", "rejected"]


def test_report_writes_self_contained_html_and_markdown(report_folder, good_records):
    paths = write_report(report_folder)
    assert [p.name for p in paths] == ["quality_report.html", "quality_report.md"]
    html = paths[0].read_text()
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    # Self-contained: figures inline, no external references.
    images = html.count('src="data:image/png;base64,')
    assert images == 4
    first = html.split('src="data:image/png;base64,')[1].split('"')[0]
    assert base64.b64decode(first)[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in html and "https://" not in html and "<link" not in html
    # Numbers from the records and the manifest, escaped where they came from data.
    assert "&lt;superb&gt;" in html and "<superb>" not in html
    assert "near_duplicate_of_train" in html
    for label in good_records.filter(pl.col("task") == "sentiment_analysis")["output"].unique():
        assert f"<td>{label}</td>" in html
    assert "option position" in html  # sequential recommendation's balance
    md = paths[1].read_text()
    for heading in ["## Samples per task and split", "## Class balance", "## PII replaced",
                    "## Failed checks", "## Dropped candidates by reason"]:  # fmt: skip
        assert heading in md
    assert "| sentiment_analysis |" in md and "expect_column_values_to_be_in_set(output)" in md


def test_records_handed_over_give_the_same_report_as_the_folder(report_folder):
    from quality.folder import load_manifest, load_records
    from quality.report import RECORD_COLUMNS, records_context

    manifest = load_manifest(report_folder)
    from_folder = records_context(manifest, load_records(report_folder))
    # What a large build hands its report's child: only these columns, in no set order.
    handed = load_records(report_folder).select(RECORD_COLUMNS).sample(fraction=1, shuffle=True,
                                                                      seed=3)  # fmt: skip
    assert records_context(manifest, handed) == from_folder
    assert from_folder["records"] == handed.height > 5
    assert records_context(manifest, handed.head(5))["records"] == 5


def test_the_report_reads_a_folder_without_importing_the_checks(synth):
    # The report's child process imports this module: great-expectations and pandas (the
    # suites') would add about a second to it.
    script = (
        "import sys, quality.report, quality.plots; "
        "print(sorted(m for m in ('quality.suites', 'great_expectations', 'pandas') "
        "if m in sys.modules))"
    )
    assert synth.fresh_python(script).strip() == "[]"


def test_report_without_quality_section_says_so(tmp_path, synth, tasks):
    records = synth.make_records({"answer_generation": tasks["answer_generation"]})
    synth.write_folder(tmp_path / "ds", records)
    html = write_report(tmp_path / "ds")[0].read_text()
    assert "Not recorded by this build." in html
    assert "Suite results were not recorded" in html


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("chromium is not installed")


def _run_chromium(*args):
    with tempfile.TemporaryDirectory() as profile:
        cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", f"--user-data-dir={profile}", *args]  # fmt: skip
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_report_renders_in_a_browser(report_folder, tmp_path):
    html = write_report(report_folder)[0]
    dom = _run_chromium("--dump-dom", html.as_uri()).stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert dom.count("<img") == 4
    shot = tmp_path / "report.png"
    _run_chromium(f"--screenshot={shot}", "--window-size=1200,3000", html.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
