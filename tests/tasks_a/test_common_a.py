from __future__ import annotations

import json

import polars as pl
import pytest

from ecinstruct.tasks import common

TRICKY = [
    "plain",
    'quote " and \\ backslash',
    "tab\tnew\nline",
    "ünïcødé ✓ 日本",
    "ctrl \x01\x1f",
    "",
]


def test_json_text_round_trips_and_reads_like_json_dumps():
    df = pl.DataFrame({"s": TRICKY, "l": [[t, "x"] for t in TRICKY], "n": [1.5] * len(TRICKY)})
    out = df.select(
        obj=common.json_object(
            {
                "text": common.json_value(pl.col("s")),
                "list": common.json_list(pl.col("l")),
                "num": common.json_value(pl.col("n")),
                "gone": common.json_value(pl.lit(None, dtype=pl.String)),
                "empty list": common.json_list(pl.lit([], dtype=pl.List(pl.String))),
            }
        )
    )["obj"]
    for text, s in zip(out, TRICKY, strict=True):
        assert json.loads(text) == {"text": s, "list": [s, "x"], "num": 1.5}
    expected = {"text": "plain", "list": ["plain", "x"], "num": 1.5}
    assert out[0] == json.dumps(expected, ensure_ascii=False)


def test_words():
    df = pl.DataFrame({"t": ["  one two\nthree   four ", None, "   "]})
    got = df.select(
        n=common.word_count(pl.col("t")), cut=common.truncate_words(pl.col("t"), 3)
    ).to_dicts()
    assert got == [{"n": 4, "cut": "one two three"}, {"n": 0, "cut": None}, {"n": 0, "cut": None}]


def test_first_reason_order():
    df = pl.DataFrame({"a": [1, 5, 5, None], "b": ["", "", "x", "x"]})
    got = df.select(
        common.first_reason((pl.col("a") > 3, "big"), (pl.col("b") == "", "empty"))
    ).to_series()
    assert got.to_list() == ["empty", "big", "big", None]


def test_connected_components_long_chain():
    n = 300
    chain = pl.DataFrame(
        {"a": [f"n{i:04d}" for i in range(n)], "b": [f"n{i + 1:04d}" for i in range(n)]}
    )
    other = pl.DataFrame({"a": ["x1", "x2"], "b": ["x2", "x3"]})
    comp = common.connected_components(pl.concat([chain.reverse(), other]))
    labels = dict(comp.iter_rows())
    assert len(labels) == n + 1 + 3
    assert {labels[f"n{i:04d}"] for i in range(n + 1)} == {"n0000"}
    assert labels["x3"] == "x1"


@pytest.mark.parametrize("size", [25, 97, 400])
def test_sample_distinct(size):
    pool = pl.DataFrame(
        {"item": [f"i{j}" for j in range(size)], "side": [j % 5 == 0 for j in range(size)]}
    )
    anchors = pl.DataFrame(
        {
            "key": [f"u{k}" for k in range(30)],
            "side": [k % 3 == 0 for k in range(30)],
            "exclude": [[f"i{j}" for j in range(k % 7 * 5)] for k in range(30)],
        }
    )
    got = common.sample_distinct(anchors, pool, n=4, seed=1, salt="t")
    side = dict(pool.iter_rows())
    eligible = {
        k: [i for i, s in side.items() if s == k_side and i not in excl]
        for k, k_side, excl in anchors.iter_rows()
    }
    for key, rows in got.group_by("key"):
        items = rows.sort("draw")["item"].to_list()
        assert len(items) == len(set(items)) == min(4, len(eligible[key[0]]))
        assert set(items) <= set(eligible[key[0]])
    assert got.height == sum(min(4, len(e)) for e in eligible.values())
    assert got.equals(common.sample_distinct(anchors, pool, n=4, seed=1, salt="t"))
    other = common.sample_distinct(anchors, pool, n=4, seed=2, salt="t")
    assert not got.sort("key", "draw")["item"].equals(other.sort("key", "draw")["item"])


def test_subsample_keeps_rejections():
    df = pl.DataFrame(
        {
            "k": [f"k{i}" for i in range(20)],
            "ood": [i < 6 for i in range(20)],
            "drop_reason": [None] * 18 + ["bad", "bad"],
        }
    )
    out = common.subsample(
        df, 3, key=["k"], seed=0, salt="t", ood=pl.col("ood"), mixed=pl.lit(False)
    )
    assert out.height == 3 + 3 + 2
    assert out.filter(pl.col("ood") & pl.col("drop_reason").is_null()).height == 3
    assert common.subsample(
        df, None, key=["k"], seed=0, salt="t", ood=pl.col("ood"), mixed=pl.lit(False)
    ).equals(df)


def test_subsample_bounds_each_side_on_its_own():
    df = pl.DataFrame(
        {
            "k": [f"k{i}" for i in range(40)],
            "ood": [i < 10 for i in range(40)],
            "drop_reason": [None] * 38 + ["bad", "bad"],
        }
    )
    args = dict(key=["k"], seed=0, salt="t", ood=pl.col("ood"), mixed=pl.lit(False))
    out = common.subsample(df, (12, 2), **args)
    usable = out.filter(pl.col("drop_reason").is_null())
    assert usable.filter(~pl.col("ood")).height == 12 and usable.filter("ood").height == 2
    assert out.filter(pl.col("drop_reason").is_not_null()).height == 2
    # Same draw order as one bound for both: the smaller side's sample is a prefix.
    both = common.subsample(df, 12, **args).filter(pl.col("drop_reason").is_null())
    assert both.filter("ood")["k"].head(2).to_list() == usable.filter("ood")["k"].to_list()
    assert (
        both.filter(~pl.col("ood"))["k"].to_list() == usable.filter(~pl.col("ood"))["k"].to_list()
    )
    # A side within its bound is kept whole.
    assert common.subsample(df, (40, 10), **args).height == df.height


def test_first_copies_is_case_insensitive_first_distinct_across_slices():
    texts = ["Great Product", "great product", "other", None, "GREAT PRODUCT", None, "Other!"]
    ok = [True, True, True, True, False, True, True]
    df = pl.DataFrame({"text": texts * 5, "ok": ok * 5})
    want = df.select(
        pl.struct(pl.col("text").str.to_lowercase(), "ok").is_first_distinct()
    ).to_series()
    for slice_rows in (1, 3, 7, 1000):  # slices cut between copies of one text
        got = common.first_copies(df, "text", among=pl.col("ok"), slice_rows=slice_rows)
        assert got.to_list() == want.to_list()
    assert want.sum() == 5  # 4 texts (None included) among the ok rows, 1 among the others
    assert common.first_copies(df.clear(), "text", among=pl.col("ok")).is_empty()


def test_shared_step_runs_once_while_its_tables_stay_the_same():
    from ecinstruct.canonical import Canonical

    calls = []

    @common.shared("judgments")
    def step(canonical):
        calls.append(1)
        return canonical["judgments"].with_columns(n=pl.lit(len(calls)))

    canonical = Canonical()
    canonical.tables["judgments"] = pl.DataFrame({"query_id": ["q1", "q2"]})
    first = step(canonical)
    assert step(canonical) is first and len(calls) == 1
    # Another table read by no shared step does not matter; a new judgments frame does.
    canonical.tables["products"] = canonical.tables["products"].clone()
    assert step(canonical) is first
    canonical.tables["judgments"] = pl.DataFrame({"query_id": ["q3"]})
    again = step(canonical)
    assert len(calls) == 2 and again["query_id"].to_list() == ["q3"]
    common.forget()
    assert step(canonical) is not again and len(calls) == 3
    common.forget()


def test_shared_steps_keep_one_result_at_a_time():
    from ecinstruct.canonical import Canonical

    calls = {"a": 0, "b": 0}

    @common.shared("judgments")
    def step_a(canonical):
        calls["a"] += 1
        return canonical["judgments"]

    @common.shared("judgments")
    def step_b(canonical):
        calls["b"] += 1
        return canonical["judgments"].head(1)

    canonical = Canonical()
    canonical.tables["judgments"] = pl.DataFrame({"query_id": ["q1", "q2"]})
    step_a(canonical), step_b(canonical), step_a(canonical)
    assert calls == {"a": 2, "b": 1}
    common.forget()


@pytest.mark.parametrize(
    "ids",
    [
        ["00000000000000ff", "0000000000000100", "ffffffffffffffff", "a000000000000000"],
        ["00000000000000ff", "00000000000000ff", "0000000000000001"],  # a tie: the next keys decide
        ["0000000000000002", "0000000000000001-2", "0000000000000001"],  # not all hex
        ["+000000000000001", "0000000000000002", "A000000000000000"],  # parse as hex, sort as text
        ["b", None, "a"],
        ["b", "a", "c"],
    ],
)
def test_sort_positions_is_arg_sort_by(ids):
    n = len(ids)
    df = pl.DataFrame({"id": ids, "source": ["s2", "s1", "s0", "s1"][:n], "x": list(range(n))})
    keys = ["id", "source", "x"]
    got = common.sort_positions(df, keys)
    assert got.to_list() == df.select(pl.arg_sort_by(keys, nulls_last=True)).to_series().to_list()


def test_unique_products_among_some_ids_are_those_rows_of_all():
    products = pl.DataFrame(
        {
            "product_id": ["B", "A", "B", "C", None, "A"],
            "source": ["s2", "s1", "s1", "s1", "s1", "s2"],
            "title": ["b long", "", "b", "c", "x", "a"],
            "description": [None, "d", "d", None, "d", None],
            "features": [[], ["f"], [], None, [], ["g"]],
            "brand": [None, "br", " ", None, None, "br"],
            "categories": [[], [], ["k"], [], [], []],
            "price": [None, 1.0, None, None, None, 2.0],
        }
    )
    every = common.unique_products(products, ["title", "brand"])
    assert every["product_id"].to_list() == ["A", "B", "C"]
    for ids in (["B"], ["A", "C", "Z"], [], ["C", None]):
        some = common.unique_products(products, ["title", "brand"], among=pl.Series(ids))
        assert some.equals(every.filter(pl.col("product_id").is_in(ids)))
