"""The sample's files are in the published formats (compared with the real copies when present)."""

import csv
import datetime as dt
import gzip
import io
import json
import re
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

from ecinstruct.sample.qa import FILLER_SNIPPETS
from ecinstruct.sample.vocab import TYPES

ATTRIBUTE_VALUES = {v for _, t in TYPES for _, values in t.attrs for v in values}
REVIEW_KEYS_2018 = [
    "image",
    "overall",
    "vote",
    "verified",
    "reviewTime",
    "reviewerID",
    "asin",
    "style",
    "reviewerName",
    "reviewText",
    "summary",
    "unixReviewTime",
]
META_KEYS_2018 = [
    "category",
    "tech1",
    "description",
    "fit",
    "title",
    "also_buy",
    "tech2",
    "brand",
    "feature",
    "rank",
    "also_view",
    "details",
    "main_cat",
    "similar_item",
    "date",
    "price",
    "asin",
    "imageURL",
    "imageURLHighRes",
]
REVIEW_KEYS_2023 = [
    "rating",
    "title",
    "text",
    "images",
    "asin",
    "parent_asin",
    "user_id",
    "timestamp",
    "helpful_vote",
    "verified_purchase",
]
META_KEYS_2023 = [
    "main_category",
    "title",
    "average_rating",
    "rating_number",
    "features",
    "description",
    "price",
    "images",
    "videos",
    "store",
    "categories",
    "details",
    "parent_asin",
    "bought_together",
]
ASIN = re.compile(r"^B0[0-9A-Z]{8}$")


def _lines(path):
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


def _jsonl(path):
    return [json.loads(line) for line in _lines(path)]


def _is_subsequence(keys, order):
    it = iter(order)
    return all(k in it for k in keys)


def test_2018_reviews(mid_sample):
    lines = _lines(mid_sample.parent / "amazon_reviews_2018/All_5.json.gz")
    rows, bad = [], []
    for n, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            bad.append(n)
    assert bad == [8]  # the one deliberately malformed line
    for row in rows:
        assert _is_subsequence(list(row), REVIEW_KEYS_2018), list(row)
        assert {"overall", "reviewerID", "asin", "unixReviewTime", "reviewTime"} <= row.keys()
        day = dt.datetime.fromtimestamp(row["unixReviewTime"], dt.UTC)
        assert row["reviewTime"] == f"{day.month:02d} {day.day}, {day.year}"
        assert row["overall"] in (1.0, 2.0, 3.0, 4.0, 5.0) and ASIN.match(row["asin"])
    votes = [r["vote"] for r in rows if "vote" in r]
    assert votes and all(re.fullmatch(r"\d{1,3}(,\d{3})*", v) for v in votes)
    assert any("," in v for v in votes)
    assert sum(1 for r in rows if r["reviewText"] == "" and r["summary"] == "") == 1
    assert any("style" in r for r in rows) and any("image" in r for r in rows)


def test_2018_meta(mid_sample, tiny_sample):
    rows = _jsonl(mid_sample.parent / "amazon_reviews_2018/meta_All.json")
    asins = {r["asin"] for r in rows}
    assert len(asins) == len(rows)
    for row in rows:
        assert list(row) == META_KEYS_2018
        assert row["price"] == "" or re.fullmatch(r"\$[\d,]+\.\d\d", row["price"])
        assert all(ASIN.match(a) for a in row["also_buy"] + row["also_view"])
        assert (
            row["similar_item"] == ""
            or isinstance(row["similar_item"], list)
            or ("/dp/" in row["similar_item"])
        )
    assert any("</span>" in c for r in rows for c in r["category"])
    assert any(r["main_cat"].startswith("<img") for r in rows)
    assert any("<br>" in d for r in rows for d in r["description"])
    assert any(r["brand"] == "" for r in rows) and any(r["description"] == [] for r in rows)
    # Related ASINs mostly have metadata rows; a few dangle, as in the published dump.
    related = [a for r in rows for a in r["also_buy"] + r["also_view"]]
    dangling = sum(a not in asins for a in related) / len(related)
    assert 0 < dangling < 0.05


def test_2018_keys_match_the_real_dump(real_dir, tiny_sample):
    real_meta = json.loads(_lines(real_dir / "amazon_reviews_2018/meta_Gift_Cards.json")[0])
    assert list(real_meta) == META_KEYS_2018
    real_keys = set()
    for line in _lines(real_dir / "amazon_reviews_2018/Gift_Cards_5.json"):
        real_keys |= json.loads(line).keys()
    assert real_keys == set(REVIEW_KEYS_2018)


def test_2023_files(tiny_sample):
    folder = tiny_sample.parent / "amazon_reviews_2023"
    reviews = _jsonl(folder / "All.jsonl")
    meta = _jsonl(folder / "meta_All.jsonl")
    assert all(list(r) == REVIEW_KEYS_2023 for r in reviews)
    assert all(list(m) == META_KEYS_2023 for m in meta)
    parents = {m["parent_asin"] for m in meta}
    assert all(r["parent_asin"] in parents for r in reviews)
    assert any(r["asin"] != r["parent_asin"] for r in reviews)
    assert all(r["timestamp"] > 1.5e12 for r in reviews)  # milliseconds
    assert any(m["price"] is None for m in meta) and any(
        isinstance(m["price"], float) for m in meta
    )


def _apostrophe_csv(path):
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("latin-1"), newline=""), quotechar="'"))
    return raw, rows


def test_amazon_google_csvs(mid_sample, real_dir):
    folder = mid_sample.parent / "amazon_google_products"
    names = ["Amazon.csv", "GoogleProducts.csv", "Amzon_GoogleProducts_perfectMapping.csv"]
    parsed = {}
    for name in names:
        raw, rows = _apostrophe_csv(folder / name)
        real_raw, real_rows = _apostrophe_csv(real_dir / "amazon_google_products" / name)
        assert rows[0] == real_rows[0]
        assert raw.startswith(b"'") and not raw.endswith(b"\n") and b"\r" not in raw
        assert all(len(r) == len(rows[0]) for r in rows), name
        parsed[name] = rows[1:]
    amazon, google, mapping = (parsed[n] for n in names)
    blob = (folder / "Amazon.csv").read_bytes() + (folder / "GoogleProducts.csv").read_bytes()
    assert b"\xae" in blob  # a Latin-1 registered sign ...
    with pytest.raises(UnicodeDecodeError):
        blob.decode("utf-8")  # ... which is not UTF-8
    amazon_ids, google_ids = {r[0] for r in amazon}, {r[0] for r in google}
    assert len(amazon_ids) == len(amazon) and len(google_ids) == len(google)
    assert all(a in amazon_ids and g in google_ids for a, g in mapping)
    assert 0.8 * len(amazon) < len(mapping) < 1.1 * len(amazon)
    assert len(google) > 1.5 * len(amazon)  # unmatched listings too
    assert sum(r[3] == "" for r in google) > 0.8 * len(google)  # makers mostly missing
    assert any(r[4].endswith(" gbp") for r in google)
    titles = {r[0]: r[1] for r in amazon}
    names_by_id = {r[0]: r[1] for r in google}
    differ = sum(titles[a] != names_by_id[g] for a, g in mapping)
    assert differ > 0.5 * len(mapping)  # matched listings are worded differently


def test_esci_parquet(mid_sample):
    folder = mid_sample.parent / "esci"
    examples = pq.read_table(folder / "shopping_queries_dataset_examples.parquet")
    products = pq.read_table(folder / "shopping_queries_dataset_products.parquet")
    assert examples.column_names == [
        "example_id",
        "query",
        "query_id",
        "product_id",
        "product_locale",
        "esci_label",
        "small_version",
        "large_version",
        "split",
    ]
    assert products.column_names == [
        "product_id",
        "product_title",
        "product_description",
        "product_bullet_point",
        "product_brand",
        "product_color",
        "product_locale",
    ]
    assert str(examples.schema.field("small_version").type) == "int64"
    ex = examples.to_pylist()
    labels = Counter(r["esci_label"] for r in ex)
    assert set(labels) == {"E", "S", "C", "I", "X"} and labels["X"] == 1
    assert {r["product_locale"] for r in ex} == {"us", "es", "jp"}
    assert Counter(r["product_locale"] for r in ex)["us"] > 0.8 * len(ex)
    assert {r["small_version"] for r in ex} == {0, 1} and {r["split"] for r in ex} == {
        "train",
        "test",
    }
    known = {(r["product_id"], r["product_locale"]) for r in products.to_pylist()}
    assert all((r["product_id"], r["product_locale"]) in known for r in ex)
    per_query = defaultdict(set)
    for r in ex:
        per_query[r["query_id"]].add(r["query"])
    assert all(len(q) == 1 for q in per_query.values())


def test_mave_offsets(mid_sample):
    folder = mid_sample.parent / "mave"
    positives = _jsonl(folder / "mave_positives.jsonl")
    negatives = _jsonl(folder / "mave_negatives.jsonl")
    meta = {r["asin"] for r in _jsonl(mid_sample.parent / "amazon_reviews_2018/meta_All.json")}
    n_evidence = 0
    for rec in positives:
        assert list(rec) == ["id", "category", "paragraphs", "attributes"]
        assert rec["id"] in meta  # MAVE ids are Amazon 2018 ASINs
        assert {p["source"] for p in rec["paragraphs"]} <= {
            "title",
            "description",
            "feature",
            "price",
            "brand",
        }
        assert rec["attributes"]
        for attr in rec["attributes"]:
            assert attr["evidences"]
            for ev in attr["evidences"]:
                text = rec["paragraphs"][ev["pid"]]["text"]
                assert text[ev["begin"] : ev["end"]] == ev["value"]
                n_evidence += 1
    assert n_evidence > len(positives)
    for rec in negatives:
        assert rec["attributes"] and all(a["evidences"] == [] for a in rec["attributes"])


def test_question_answering_files(mid_sample, real_dir):
    qa = _jsonl(mid_sample.parent / "amazonqa/train-qar.jsonl")
    keys = {
        "questionText",
        "questionType",
        "review_snippets",
        "answers",
        "is_answerable",
        "asin",
        "category",
    }
    assert all(set(q) == keys for q in qa)
    assert 0.4 < sum(q["is_answerable"] for q in qa) / len(qa) < 0.7
    assert len({(q["asin"], q["questionText"]) for q in qa}) == len(qa)
    for q in qa:
        assert all(0 <= a["helpful"][0] <= a["helpful"][1] for a in q["answers"])
        # Answerable exactly when a snippet other than generic chatter is present.
        stating = [s for s in q["review_snippets"] if s not in FILLER_SNIPPETS]
        assert len(stating) == int(q["is_answerable"]), q
        best = max(q["answers"], key=lambda a: a["helpful"][0])["answerText"]
        value = re.sub(r"^(Yes, it is|No, mine is|It is|The .+? is) ", "", best)
        value = value.split(", not ")[0].rstrip(".")
        if q["is_answerable"] and value in ATTRIBUTE_VALUES:  # the snippet states the value
            assert value in stating[0], (best, stating)
    # Answerability is not given away by the question's wording alone.
    for answerable in (True, False):
        questions = [q for q in qa if q["is_answerable"] == answerable]
        assert 0.2 < sum(
            q["questionText"].startswith(("What", "Can you")) for q in questions
        ) / len(questions)

    with open(mid_sample.parent / "product_qa/ePQA_sample.csv", encoding="utf-8", newline="") as f:
        epqa = list(csv.DictReader(f))
    with open(real_dir / "product_qa/ePQA_dev.csv", encoding="utf-8", newline="") as f:
        assert list(epqa[0]) == next(csv.reader(f))
    per_q = Counter(r["qid"] for r in epqa)
    assert set(per_q.values()) == {10}
    assert {r["label"] for r in epqa} == {"0", "1", "2"}
    assert all((r["label"] != "0") == bool(r["answer"]) for r in epqa)

    real_keys = set()
    for line in _lines(real_dir / "product_qa/qa_Appliances.json")[:500]:
        try:
            real_keys |= json.loads(line).keys()
        except json.JSONDecodeError:
            pass  # the real file has a few lines with bad escapes
    mcauley = sorted((mid_sample.parent / "product_qa").glob("qa_*.json"))
    assert len(mcauley) == 6  # one file per category: the file name carries the category
    rows = [row for path in mcauley for row in _jsonl(path)]
    for row in rows:
        assert set(row) <= real_keys
        assert ("answerType" in row) == (row["questionType"] == "yes/no")
    assert len({(r["asin"], r["question"]) for r in rows}) == len(rows)


def test_oa_mine(mid_sample, real_dir):
    rows = _jsonl(mid_sample.parent / "attribute_extraction/oa-mine_sample.jsonl")
    real = json.loads(_lines(real_dir / "attribute_extraction/oa-mine_train.jsonl")[0])
    assert all(list(r) == list(real) for r in rows)
    absent = 0
    for r in rows:
        for attr, values in r["target_scores"].items():
            (value,) = values
            absent += value == "n/a"
            assert value == "n/a" or value in r["input"], (attr, value, r["input"])
    assert absent > 0
