import hashlib
import json

import polars as pl

from ecinstruct import assemble

TRICKY = [
    'plain "quoted" text \\ with a backslash',
    "tabs\tnew\nlines\r and \b\f control \x01\x1f characters",
    "unicode: café, 東京, emoji 🙂, line sep \u2028 para sep \u2029, del \x7f",
    "{{ looks like a template }} </script>",
]


def test_payload_is_pythons_json_text_for_every_kind_of_value():
    rows = {
        "setting": ["IND_Diverse_Instruction", "", "OOD_Uniform_Instruction", "x", "y", "z"],
        "input": [*TRICKY, "", "[1, 2]"],
        "options": [["yes", "no"], None, [], [TRICKY[1], TRICKY[2]], ["a"], None],
        "output": [TRICKY[0], None, "", TRICKY[3], "a", TRICKY[2]],
    }
    df = pl.DataFrame(rows, schema_overrides={"options": pl.List(pl.String)})
    got = df.select(assemble._payload("product_matching", pl.col("setting"))).to_series()
    want = [
        json.dumps(["product_matching", s, i, o, out], ensure_ascii=False)
        for s, i, o, out in zip(*rows.values(), strict=True)
    ]
    assert got.to_list() == want
    assert assemble._content_ids(got) == [hashlib.sha256(w.encode()).hexdigest()[:20] for w in want]


def test_instructions_equal_rendering_every_row_on_its_own(monkeypatch):
    """Templates render once per distinct value of what they read; the result must be what
    rendering each row would give, for every task and wording, options or not."""
    from ecinstruct import render
    from ecinstruct.tasks import REGISTRY

    options = [["yes", "no"], ["a", "b", "c"], ["yes", "no"], [], None, ["a", "b", "c"]]
    inputs = ['{"question": "q"}', "plain text", "{{ x }}", "", "other", "plain text"]
    df = pl.DataFrame(
        {"input": inputs, "options": options},
        schema={"input": pl.String, "options": pl.List(pl.String)},
    )
    calls = []
    original = render.render
    monkeypatch.setattr(render, "render", lambda *a: calls.append(a) or original(*a))
    read_options = 0
    for name in REGISTRY:
        for wording in range(render.N_WORDINGS):
            rows = [i for i, o in enumerate(options) if o is not None]  # templates may count them
            wordings = [wording] * len(rows)
            calls.clear()
            got = assemble._instructions(name, wordings, df[rows])
            want = [original(name, wording, inputs[i], options[i]) for i in rows]
            assert got == want, (name, wording)
            reads = assemble._variables(name, wording)
            assert "input" not in reads  # no wording reads the input: none renders per row
            distinct = {tuple(options[i]) for i in rows} if "options" in reads else {None}
            assert len(calls) == len(distinct), (name, wording)
            read_options += "options" in reads
    assert read_options >= 1  # some wordings do read the options
    # A wording that read the input would render once per row, with that row's input.
    monkeypatch.setattr(assemble, "_variables", lambda task, wording: frozenset({"input"}))
    calls.clear()
    got = assemble._instructions("sentiment_analysis", [0, 1, 0], df[:3])
    assert [c[2] for c in calls] == inputs[:3]
    assert got == [
        original("sentiment_analysis", w, inputs[i], options[i]) for i, w in enumerate([0, 1, 0])
    ]
