"""Data quality for ECInstruct: candidate checks, decontamination, suites, validation, report.

Candidate checks (`quality.candidates`) run on each task's candidates before splits are
assigned and drop rows with a reason; `decontaminate` runs after split assignment; the
suites (`quality.suites`) check tables and published records; `quality.validate` re-runs them
on a built folder and `quality.report` writes the HTML and Markdown reports.
"""
