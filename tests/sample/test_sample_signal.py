"""The sample carries the signal each task learns from (checked on raw files, no builder)."""

import gzip
import json
import re
from collections import defaultdict
from statistics import mean

import pyarrow.parquet as pq
import pytest

from ecinstruct.sample.phrases import NEGATIVE_WORDS, POSITIVE_WORDS


@pytest.fixture(scope="module")
def reviews(mid_sample):
    rows = []
    with gzip.open(mid_sample.parent / "amazon_reviews_2018/All_5.json.gz", "rt") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # the deliberately malformed line
    return rows


@pytest.fixture(scope="module")
def meta(mid_sample):
    path = mid_sample.parent / "amazon_reviews_2018/meta_All.json"
    return {r["asin"]: r for r in map(json.loads, path.read_text().splitlines())}


def _sentiment(text):
    words = re.findall(r"[a-z]+", text.lower())
    return sum(w in POSITIVE_WORDS for w in words) - sum(w in NEGATIVE_WORDS for w in words)


def test_review_wording_agrees_with_rating(reviews):
    by_rating = defaultdict(list)
    for r in reviews:
        by_rating[int(r["overall"])].append(_sentiment(r["reviewText"]))
    means = [mean(by_rating[k]) for k in range(1, 6)]
    assert means == sorted(means) and means[0] < -1 and means[-1] > 1, means
    shares = [len(by_rating[k]) / len(reviews) for k in range(1, 6)]
    assert min(shares) > 0.05, shares  # every class is represented
    long = sum(len(r["reviewText"].split()) >= 10 for r in reviews) / len(reviews)
    assert 0.8 < long < 0.99  # mostly 10+ words, some short ones


def test_users_are_mostly_five_core_with_ordered_histories(reviews):
    history = defaultdict(list)
    for r in reviews:
        history[r["reviewerID"]].append(r["unixReviewTime"])
    core = [u for u, times in history.items() if len(times) >= 5]
    assert len(core) / len(history) > 0.6
    assert all(
        times == sorted(times) and len(set(times)) == len(times) for times in history.values()
    )


def test_next_item_follows_from_the_previous_one(reviews, meta):
    history = defaultdict(list)
    for r in reviews:
        history[r["reviewerID"]].append(r["asin"])
    linked = total = same_category = 0
    for items in history.values():
        for prev, nxt in zip(items, items[1:], strict=False):
            related = set(meta[prev]["also_buy"]) | set(meta[prev]["also_view"])
            linked += nxt in related
            same_category += meta[prev]["category"][0] == meta[nxt]["category"][0]
            total += 1
    # Random next items would be linked ~0.3% of the time and share a category ~17%.
    assert linked / total > 0.3
    assert same_category / total > 0.8


def test_relations_have_product_semantics(meta):
    def leaf(a):
        return [c for c in meta[a]["category"] if not c.startswith("<")][-1]

    buy = [(a, b) for a, r in meta.items() for b in r["also_buy"] if b in meta]
    view = [(a, b) for a, r in meta.items() for b in r["also_view"] if b in meta]
    similar = [
        (a, b)
        for a, r in meta.items()
        if isinstance(r["similar_item"], list)
        for b in r["similar_item"]
    ]
    assert buy and view and similar
    # also bought: a complementary product type; also viewed: an alternative of the same
    # type from another brand; similar: the same type and brand (a product line).
    assert mean(leaf(a) != leaf(b) for a, b in buy) > 0.9
    assert mean(leaf(a) == leaf(b) for a, b in view) > 0.99
    assert mean(leaf(a) == leaf(b) for a, b in similar) > 0.99
    titles_share_brand = [
        meta[a]["title"].split()[0] == meta[b]["title"].split()[0] for a, b in similar
    ]
    assert mean(titles_share_brand) > 0.9
    assert mean(meta[a]["title"].split()[0] == meta[b]["title"].split()[0] for a, b in view) < 0.2


def test_esci_labels_follow_query_relevance(mid_sample):
    folder = mid_sample.parent / "esci"
    examples = pq.read_table(folder / "shopping_queries_dataset_examples.parquet").to_pylist()
    titles = {
        r["product_id"]: r["product_title"]
        for r in pq.read_table(folder / "shopping_queries_dataset_products.parquet").to_pylist()
    }

    def overlap(query, title):
        q, t = set(query.lower().split()), set(re.findall(r"[\w-]+", title.lower()))
        return len(q & t) / len(q)

    by_label = defaultdict(list)
    for r in examples:
        if r["product_locale"] == "us":
            by_label[r["esci_label"]].append(overlap(r["query"], titles[r["product_id"]]))
    e, s, c, i = (mean(by_label[k]) for k in "ESCI")
    assert e > s > c and s > i, (e, s, c, i)
    small = {r["query_id"] for r in examples if r["small_version"]}
    labels = defaultdict(set)
    for r in examples:
        if r["query_id"] in small:
            labels[r["query_id"]].add(r["esci_label"])
    # Ranking needs queries whose products carry several distinct labels.
    assert mean(len(v) >= 3 for v in labels.values()) > 0.8
