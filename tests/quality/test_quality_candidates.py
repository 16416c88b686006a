import json
import random

import numpy as np
import polars as pl
import pytest

from ecinstruct.tasks.base import CANDIDATE_SCHEMA, candidates
from quality import dedup, language, pii
from quality.candidates import CHECKS, check_candidates, decontaminate

SA_OPTIONS = ["very positive", "positive", "neutral", "negative", "very negative"]


def _cands(rows: list[dict], options=SA_OPTIONS) -> pl.DataFrame:
    base = {"options": options, "output": "positive", "product_ids": ["P1"], "source": "s"}
    full = [base | {"group": str(i)} | r for i, r in enumerate(rows)]
    return candidates(pl.DataFrame(full, schema_overrides=CANDIDATE_SCHEMA, strict=False))


VOCAB = [f"{a}{b}" for a in ("bri", "sto", "mal", "ven", "qua", "zel", "tor") for b in "aeiouyk"]


def _long(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCAB) for _ in range(n))


@pytest.fixture(scope="module")
def make_task(synth):
    return synth.make_task


def test_every_check_is_named_and_versioned():
    assert list(CHECKS) == [
        "pii_scrub@1",
        "non_empty@1",
        "min_words@1",
        "english_only@1",
        "exact_duplicate@1",
        "near_duplicate@1",
    ]


def test_each_check_drops_with_its_reason(make_task):
    review = _long(1, 150)
    edited = review.split()
    edited[70] = "zzzword"  # one substituted word in 150: 3-gram similarity ~0.96
    rows = [
        {"input": "I love this speaker, the sound is rich and the battery lasts all day long."},
        {"input": "   "},
        {"input": "Too short to say much."},
        {"input": "Este producto es muy bueno, lo compré para mi hijo y le encanta mucho."},
        {"input": "Отличный товар, рекомендую всем покупателям, доставка была очень быстрой и упаковка целая."},
        {"input": "i LOVE this speaker - the sound is rich, and the battery lasts all day long!"},
        {"input": review},
        {"input": " ".join(edited)},
        {"input": _long(2, 40)},
        {"input": "Was refused by the builder but would pass every check here, ten words.",
         "drop_reason": "builder_reason"},
    ]  # fmt: skip
    out, stats = check_candidates(make_task("sentiment_analysis"), _cands(rows))
    reasons = out["drop_reason"].to_list()
    # Duplicates keep the first in content order: "I love..." sorts before "i LOVE...".
    assert reasons == [
        None,
        "empty_input",
        "too_few_words",
        "non_english",
        "non_english",
        "exact_duplicate",
        None if review < " ".join(edited) else "near_duplicate",
        "near_duplicate" if review < " ".join(edited) else None,
        None,
        "builder_reason",
    ]
    assert stats["dropped"] == {
        "empty_input": 1,
        "exact_duplicate": 1,
        "near_duplicate": 1,
        "non_english": 2,
        "too_few_words": 1,
    }
    assert stats["checks"]["english_only@1"]["by_script"] == 1
    assert stats["checks"]["min_words@1"]["min_words"] == 10
    assert stats["usable_before"] == 9 and stats["usable_after"] == 3
    assert out.schema == pl.Schema(CANDIDATE_SCHEMA)


@pytest.mark.parametrize("task", ["sentiment_analysis", "answer_generation"])
def test_checks_sharing_the_inputs_words_judge_as_each_splitting_its_own(
    make_task, task, monkeypatch
):
    from quality import candidates
    from quality.text import tokens

    review = _long(3, 60)
    rows = [
        {"input": review},
        {"input": review.upper() + "!"},
        {"input": review.replace("word", "other", 1)},
        {"input": "Este producto es muy bueno, lo compré para mi hijo y le encanta mucho."},
        {"input": None},
        {"input": '{"title": "A \\"quoted\\" lamp", "text": "bright and warm light"}'},
        {"input": _long(4, 25)},
    ]
    shared, shared_stats = check_candidates(make_task(task), _cands(rows))
    monkeypatch.setattr(
        candidates, "_input_words", lambda df: df.select(tokens(pl.col("input")))["input"]
    )
    own, own_stats = check_candidates(make_task(task), _cands(rows))
    assert shared.equals(own)
    assert shared_stats["dropped"] == own_stats["dropped"]


def test_no_candidates_is_not_an_error(make_task):
    empty = pl.DataFrame(schema=CANDIDATE_SCHEMA)
    out, stats = check_candidates(make_task("sentiment_analysis"), empty)
    assert out.is_empty() and stats["dropped"] == {} and stats["usable_after"] == 0
    placed, dstats = decontaminate(empty.with_columns(pl.lit(None, pl.String).alias("split")))
    assert placed.is_empty() and dstats["dropped"] == {"near_duplicate_of_train": 0}


def test_min_words_only_where_the_task_sets_it(make_task):
    rows = [{"input": json.dumps({"question": "fits?", "review snippets": ["yes"]})}]
    out, _ = check_candidates(make_task("answerability_prediction"), _cands(rows, ["yes", "no"]))
    assert out["drop_reason"].to_list() == [None]


def test_duplicate_choice_does_not_depend_on_row_order(make_task):
    texts = [_long(i, 30) for i in range(6)]
    rows = [{"input": t} for t in texts] + [{"input": t.upper() + "!"} for t in texts[:3]]
    task = make_task("sentiment_analysis")
    kept = []
    for seed in (0, 1):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        out, _ = check_candidates(task, _cands(shuffled))
        kept.append(sorted(out.filter(pl.col("drop_reason").is_null())["input"]))
    assert kept[0] == kept[1] and len(kept[0]) == 6


def test_pii_is_replaced_and_json_stays_valid(make_task):
    ag_input = json.dumps(
        {
            "question": "Mail me at a.b@example.com?",
            "review snippets": ["Call (555) 123-4567", "ok"],
        },
        ensure_ascii=False,
    )
    # Written by hand: compact, ASCII-escaped, and a price json.dumps would print as 46.1.
    compact = '{"query":"caf\\u00e9 www.shop.example/x","n":5551234567,"price":46.10}'
    rows = [
        {"input": ag_input, "output": "See https://example.com/faq. - John D.", "options": None},
        {"input": compact, "output": "ok then", "options": None},
    ]
    out, stats = check_candidates(make_task("answer_generation"), _cands(rows))
    first = json.loads(out["input"][0])
    assert first == {"question": "Mail me at [EMAIL]?", "review snippets": ["Call [PHONE]", "ok"]}
    assert out["input"][0] == json.dumps(first, ensure_ascii=False)  # same spacing as before
    assert out["output"][0] == "See [URL]. - [NAME]"
    # Only the string value changes: numbers outside strings are data, spacing stays.
    assert out["input"][1] == '{"query":"caf\\u00e9 [URL]","n":5551234567,"price":46.10}'
    assert stats["pii"] == {"email": 1, "url": 2, "phone": 1, "name": 1}
    assert stats["checks"]["pii_scrub@1"]["fields_changed"] == 3


def test_option_outputs_are_never_scrubbed(make_task):
    rows = [{"input": "Email bob@example.com please, it works very well for me indeed.",
             "output": "yes", "options": ["yes", "no"]}]  # fmt: skip
    out, stats = check_candidates(make_task("product_substitute_identification"), _cands(rows))
    assert out["input"][0] == "Email [EMAIL] please, it works very well for me indeed."
    assert out["output"][0] == "yes"


@pytest.mark.parametrize("prepared", [False, True], ids=["raw", "prepared"])
def test_known_reviewer_names_are_scrubbed_pseudonyms_are_not(make_task, prepared):
    rows = [{"input": "Jane Smith told me this is a great blender, says Amazon Customer too."}]
    names = ["Jane Smith", "Amazon Customer", None, "jim", "Al Li Bo Wu"]
    out, stats = check_candidates(
        make_task("sentiment_analysis"),
        _cands(rows),
        # A build picks the usable names out of the reviews once, for every task.
        reviewer_names=pii.KnownNames.of(names) if prepared else names,
    )
    assert out["input"][0] == "[NAME] told me this is a great blender, says Amazon Customer too."
    assert stats["pii"]["name"] == 1


def test_known_names_are_prepared_once():
    known = pii.KnownNames.of(pl.Series(["Jane Smith", "Amazon Customer", "Jo Bo", None, "x"]))
    assert known.names == ("Jane Smith", "Jo Bo")  # longest first
    assert pii.KnownNames.of(known) is known
    assert pii.KnownNames.of(None) == pii.KnownNames.of([]) == pii.KnownNames()


def test_signatures_equal_datasketch_minhash():
    from datasketch import MinHash

    texts = pl.Series([_long(5, 30), "two words", "", "Another, text! with punctuation."])
    doc, hashes = dedup.shingle_hashes(texts)
    sig, has = dedup.signatures(texts)
    assert has.tolist() == [True, True, False, True]
    for i in np.flatnonzero(has):
        m = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED, scheme="affine32", hashfunc=int)
        m.update_batch(hashes[doc == i].tolist())
        assert np.array_equal(m.hashvalues, sig[i])


@pytest.mark.parametrize("piece", [7, 64, 1 << 18])
def test_signatures_in_pieces_equal_the_plain_formula(monkeypatch, piece):
    """Every permutation runs over a piece of whole documents before the next piece (and
    pieces may go to threads): the matrix must be each document's minimum of a * fmix(h) + b,
    whatever the pieces, with documents longer than a piece and documents with no shingles."""
    monkeypatch.setattr(dedup, "PIECE", piece)
    monkeypatch.setattr(dedup, "_workers", lambda n: 2)
    rng = np.random.default_rng(piece)
    lengths = rng.integers(1, 40, 60)
    lengths[[3, 17]] = 300  # longer than the small pieces
    present = np.sort(rng.choice(90, 60, replace=False))  # the other rows have no shingles
    doc = np.repeat(present, lengths)
    h = rng.integers(0, 2**32, len(doc), dtype=np.uint64).astype(np.uint32)
    sig, has = dedup.signatures_of(doc, h, 92)
    a, b = dedup._permutations()
    mixed = dedup._fmix32(h).astype(np.uint64)
    assert has.tolist() == [i in set(present) for i in range(92)]
    for i in range(92):
        if i not in set(present):
            assert (sig[i] == np.iinfo(np.uint32).max).all()
            continue
        mine = mixed[doc == i][:, None]
        want = ((mine * a.astype(np.uint64) + b.astype(np.uint64)) % 2**32).min(axis=0)
        assert np.array_equal(sig[i], want.astype(np.uint32))


def test_band_layout_is_the_one_datasketch_picks():
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=dedup.THRESHOLD, num_perm=dedup.NUM_PERM, weights=dedup.LSH_WEIGHTS)
    assert (lsh.b, lsh.r) == dedup.BANDS


def test_remembered_signatures_equal_fresh_ones_and_the_memo_stays_bounded():
    memo = dedup._Memo(limit=6)
    texts = pl.Series([_long(5, 30), "two words", "", None, "two words", _long(7, 12)])
    fresh_sig, fresh_has = dedup._compute(texts)
    for _ in range(2):  # first computed, then all remembered
        sig, has = memo.signatures(texts)
        assert np.array_equal(sig, fresh_sig) and np.array_equal(has, fresh_has)
    assert len(memo.has) == 5  # "two words" is stored once
    # Part known, part new, over the limit: the oldest go, answers stay right.
    more = pl.Series(["a third text here", "and a fourth one", "two words"])
    sig, has = memo.signatures(more)
    assert np.array_equal(sig, dedup._compute(more)[0])
    assert len(memo.has) == 6 and len(memo.keys) == 6
    again = pl.Series(["a third text here", _long(7, 12)])
    assert np.array_equal(memo.signatures(again)[0], dedup._compute(again)[0])
    memo.clear()
    assert len(memo.has) == 0


def test_signatures_exported_by_one_process_are_remembered_by_another(monkeypatch):
    texts = pl.Series([_long(5, 30), "two words", _long(7, 12), "two words"])
    saved = dedup.export(texts)  # what a task worker hands back
    want_sig, want_has = dedup._compute(texts)
    dedup.forget()
    dedup.remember(saved)
    dedup.remember(saved)  # known ones are not stored twice
    assert len(dedup._MEMO.has) == 3 and len(dedup._MEMO.keys) == 3

    def never(_texts):
        raise AssertionError("recomputed a remembered text")

    monkeypatch.setattr(dedup, "_compute", never)
    sig, has = dedup.signatures(texts)
    assert np.array_equal(sig, want_sig) and np.array_equal(has, want_has)
    dedup.forget()


@pytest.mark.parametrize(
    "text",
    [
        "microsoft sql server standard edition 2005 64 bit cd/dvd 5 client",
        "USB-C cable 2m fast charging for iPhone 15 Samsung Galaxy",
        "mas 90(r) /mas 200(r) compatible continuous checks",
        "Non-Stick Frying Pan, Non-Slip Handle, 28 cm, Made in Italy",
        "It is a gift card - the tag it self is ok. Came in a nice tin for the holidays.",
        "Los Angeles Lakers fan shirt, la la land poster and el camino model car",
    ],
)
def test_language_filter_keeps_english_and_titles(text):
    flags, _ = language.non_english(pl.Series([text]))
    assert flags.to_list() == [False]


@pytest.mark.parametrize(
    "text",
    [
        "Le produit est arrivé cassé, je ne recommande pas ce vendeur.",
        "Dieses Produkt ist sehr gut, ich habe es für meinen Sohn gekauft.",
        "Il prodotto è arrivato in ritardo ma funziona molto bene, sono soddisfatto.",
        "O produto é muito bom, chegou antes do prazo e funciona perfeitamente.",
        "Отличный товар, рекомендую всем покупателям, доставка быстрая!",
    ],
)
def test_language_filter_flags_other_languages(text):
    flags, _ = language.non_english(pl.Series([text]))
    assert flags.to_list() == [True]


def _placed(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    df = _cands([{"input": i, "drop_reason": r} for i, _, r in rows])
    return df.with_columns(pl.Series("split", [s for _, s, _ in rows]))


def test_decontaminate_drops_held_out_near_duplicates_of_train():
    train_text = _long(10, 150)
    near = train_text.split()
    near[40] = "zzzword"
    unused = _long(11, 50)
    rows = [
        (train_text, "train", None),
        (unused, "train", "over_quota"),  # not published, so not a source of leakage
        (_long(12, 50), "train", None),
        (" ".join(near), "test_ind", None),
        (train_text.upper(), "validation", None),
        (unused, "test_ood", None),
        (_long(13, 50), "test_ind", None),
        (" ".join(near), "train", None),  # train itself is not decontaminated
    ]
    out, stats = decontaminate(_placed(rows))
    assert out["drop_reason"].to_list() == [
        None,
        "over_quota",
        None,
        "near_duplicate_of_train",
        "near_duplicate_of_train",
        None,
        None,
        None,
    ]
    assert stats["dropped"] == {"near_duplicate_of_train": 2}
    assert stats["by_split"] == {"test_ind": 1, "validation": 1}
    assert stats["checked"] == 4 and stats["train"] == 3
    assert out.columns == _placed(rows).columns


def test_decontaminate_scales_to_a_task():
    rng = random.Random(3)
    train = [" ".join(rng.choices(VOCAB, k=40)) for _ in range(10_000)]
    test = [" ".join(rng.choices(VOCAB, k=40)) for _ in range(990)] + train[:10]
    placed = _placed([(t, "train", None) for t in train] + [(t, "test_ind", None) for t in test])
    out, stats = decontaminate(placed)
    assert stats["dropped"]["near_duplicate_of_train"] == 10
    assert stats["seconds"] < 20


def _window_cands(n: int, short_every: int | None) -> pl.DataFrame:
    rows = []
    for i in range(n):
        short = short_every is not None and i % short_every != 0
        rows.append({"input": f"too short {i}" if short else _long(100 + i, 30)})
    return _cands(rows)


def test_checks_judge_only_the_rows_that_can_make_the_quotas(make_task):
    from ecinstruct.build import WINDOW_EXTRA, WINDOW_FACTOR, checked_window
    from ecinstruct.splits import cap

    task = make_task("sentiment_analysis")
    ood = pl.DataFrame(schema={"product_id": pl.String})
    sizes = (100, 0, 0, 0)
    window = int(100 * WINDOW_FACTOR) + WINDOW_EXTRA
    placed, stats = checked_window(task, _window_cands(600, None), ood, sizes, 0, [])
    assert stats["usable_before"] == window  # only the window was judged...
    assert stats["unchecked_over_quota"] == 600 - window
    assert placed.height == 600  # ...and no row went missing
    kept = cap(placed, sizes, 0).filter(pl.col("drop_reason").is_null())
    assert kept.height == 100

    # Checks that empty the window make the build judge every row rather than ship fewer.
    placed, stats = checked_window(task, _window_cands(600, 5), ood, sizes, 0, [])
    assert "unchecked_over_quota" not in stats and stats["usable_before"] == 600
    assert stats["dropped"]["too_few_words"] == 480
    kept = cap(placed, sizes, 0).filter(pl.col("drop_reason").is_null())
    assert kept.height == 100
