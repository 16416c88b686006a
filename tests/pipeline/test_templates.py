"""Every template of every task renders; sample text is data, never template source."""

import json

import jinja2
import polars as pl
import pytest

from ecinstruct import render
from ecinstruct.tasks import REGISTRY


@pytest.mark.parametrize("task", list(REGISTRY))
def test_six_distinct_wordings_render_with_real_fields(task, small_build):
    out, _ = small_build
    rec = pl.read_parquet(out / "data" / task / "test_ind-*.parquet").row(0, named=True)
    texts = [render.render(task, w, rec["input"], rec["options"]) for w in range(render.N_WORDINGS)]
    assert all(len(t) > 20 for t in texts)
    assert len(set(texts)) == render.N_WORDINGS


EVIL = "{{ 7 * 7 }} {% for x in range(3) %}x{% endfor %} {{ ''.__class__.__mro__ }}"


def _poison(value):
    if isinstance(value, str):
        return f"{EVIL} {value}"
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("task", list(REGISTRY))
def test_template_injection_comes_out_literally(task, small_build):
    out, _ = small_build
    rec = pl.read_parquet(out / "data" / task / "train-*.parquet").row(0, named=True)
    try:
        inp = json.dumps(_poison(json.loads(rec["input"])), ensure_ascii=False)
    except json.JSONDecodeError:
        inp = _poison(rec["input"])
    options = _poison(rec["options"]) if rec["options"] else None
    for w in range(render.N_WORDINGS):
        text = render.render(task, w, inp, options)
        assert "49" not in text and "xxx" not in text and "<class" not in text
        if "{{" in text:  # the template shows sample text: it must show it verbatim
            assert "{{ 7 * 7 }}" in text


def test_strict_undefined_fails_loudly(tmp_path, monkeypatch):
    env = render.environment()
    tpl = env.from_string("Extract {{ input.missing_field }}")
    with pytest.raises(jinja2.UndefinedError):
        tpl.render(input={}, options=None)


def test_sandbox_blocks_unsafe_attribute_access():
    tpl = render.environment().from_string("{{ input.__class__.__mro__ }}")
    with pytest.raises(jinja2.exceptions.SecurityError):
        tpl.render(input="x", options=None)
