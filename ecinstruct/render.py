"""Instruction templates: loading and rendering (STYLE.md rule 5: templates are data and fail loudly).

Templates live in `templates/<task>/instruction_{0..5}.jinja`. They are rendered in a sandbox
with `StrictUndefined`; sample text reaches them only as variables, so a review that contains
`{{ ... }}` comes out literally and can never execute.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
N_WORDINGS = 6


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def template_names(task: str) -> list[str]:
    return [f"{task}/instruction_{i}.jinja" for i in range(N_WORDINGS)]


@cache
def load_templates(task: str) -> tuple[jinja2.Template, ...]:
    env = environment()
    missing = [n for n in template_names(task) if not (TEMPLATE_DIR / n).is_file()]
    if missing:
        raise FileNotFoundError(f"task {task!r} is missing templates: {', '.join(missing)}")
    return tuple(env.get_template(n) for n in template_names(task))


def template_variables(input_text: str, options: list[str] | None) -> dict:
    """What a template sees: the parsed input (when it is a JSON object) and the options."""
    parsed: object = input_text
    if input_text.startswith("{"):
        try:
            parsed = json.loads(input_text)
        except json.JSONDecodeError:
            parsed = input_text
    return {"input": parsed, "options": list(options) if options is not None else None}


def render(task: str, wording: int, input_text: str, options: list[str] | None) -> str:
    text = load_templates(task)[wording].render(**template_variables(input_text, options))
    return " ".join(text.split())  # one line, normalised whitespace: templates may wrap freely
