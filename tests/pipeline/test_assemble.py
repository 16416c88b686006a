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
