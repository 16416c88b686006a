import datasets
import pytest

from benchmark import baselines
from benchmark.tasks import REGISTRY, score


@pytest.fixture(scope="module")
def data(dataset_dir):
    out = {}
    for task in REGISTRY:
        d = datasets.load_dataset(str(dataset_dir), task)
        out[task] = d["train"].to_list(), d["test_ind"].to_list()
    return out


def _headline(task, records, preds):
    result = score(task, records, preds, embed=False)
    return result["metrics"][result["headline"]], result["invalid"]


@pytest.mark.parametrize("name", baselines.BASELINES)
def test_every_baseline_answers_every_task_validly(data, name):
    for task, (train, test) in data.items():
        preds = baselines.predict(name, task, train, test, seed=0)
        assert len(preds) == len(test)
        value, invalid = _headline(task, test, preds)
        assert invalid == 0, (name, task)
        assert 0.0 <= value <= 1.0


def test_classic_beats_random_on_easy_tasks(data):
    for task in (
        "sentiment_analysis",
        "sequential_recommendation",
        "query_product_ranking",
        "attribute_value_extraction",
    ):
        train, test = data[task]
        classic, _ = _headline(task, test, baselines.predict("classic", task, train, test))
        rand, _ = _headline(task, test, baselines.predict("random", task, train, test, seed=0))
        assert classic > rand + 0.2, task


def test_random_is_seeded_and_per_record(data):
    train, test = data["sentiment_analysis"]
    a = baselines.predict("random", "sentiment_analysis", train, test, seed=3)
    assert a == baselines.predict("random", "sentiment_analysis", train, test, seed=3)
    assert a != baselines.predict("random", "sentiment_analysis", train, test, seed=4)
    # a record's answer does not depend on the other records scored
    assert baselines.predict("random", "sentiment_analysis", train, test[5:6], seed=3) == a[5:6]


def test_majority_answers_the_most_frequent_train_output(data):
    train, test = data["product_matching"]
    counts = {o: sum(r["output"] == o for r in train) for o in ("yes", "no")}
    top = max(counts, key=counts.get)
    assert set(baselines.predict("majority", "product_matching", train, test)) == {top}


def test_unknown_baseline_and_missing_train():
    with pytest.raises(ValueError, match="unknown baseline"):
        baselines.predict("oracle", "sentiment_analysis", [], [])
    with pytest.raises(ValueError, match="train"):
        baselines.predict("classic", "sentiment_analysis", [], [])
