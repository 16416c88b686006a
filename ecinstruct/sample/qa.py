"""Product question answering files: AmazonQA, ePQA and McAuley Amazon QA.

Questions ask about a product's real attributes or about general aspects (cleaning, weight,
warranty...). An AmazonQA question is answerable exactly when one of its review snippets
states the answer (the most helpful answer agrees with it); otherwise the snippets are
unrelated chatter, while the question and its community answers look just the same. ePQA gives each question ten candidate
evidences labelled 2 (answers), 1 (partly) or 0 (irrelevant), with written answers for 1 and 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from ecinstruct.sample.catalog import Catalog, Product
from ecinstruct.sample.sinks import Progress, TextSink
from ecinstruct.sample.vocab import CATEGORIES, TYPES

CHUNK = 5_000
VALUE_SNIPPETS = [
    "I bought the {v} one and it is perfect for {use}.",
    "Mine came in {v}, exactly as pictured.",
    "The {v} {a} was the main reason I picked this {t}.",
    "Went with {v} and have zero regrets.",
]
FILLER_SNIPPETS = [
    "Shipping was fast and the box was well packed.",
    "My husband uses it every day.",
    "Great value for the price.",
    "It took a while to figure out the instructions.",
    "Customer service was helpful when I had a question.",
    "I would buy this again as a gift.",
    "It looks nicer than in the pictures.",
    "After three months of use it still works like new.",
    "The color matched the photos on the listing.",
    "My only complaint is the packaging.",
]
# Questions about general aspects: (question, snippet that answers it, answer). Asked with
# the snippet they are answerable; asked without it, not. Attribute questions work the same
# way, so answerability depends on the snippets, not on the wording of the question.
ASPECTS = [
    ("Is it dishwasher safe?", "I put it in the dishwasher every week and it still looks new.",
     "Yes, it goes in the dishwasher."),
    ("Does it come with a warranty card?", "A warranty card was in the box.",
     "Yes, there is a warranty card in the box."),
    ("Where is this manufactured?", "The box says it is made in Vietnam.",
     "It is made in Vietnam."),
    ("Is the packaging recyclable?", "The packaging is all cardboard, easy to recycle.",
     "Yes, the packaging is cardboard."),
    ("Does it work with an international power supply?",
     "I used it in Europe with a plug adapter and it was fine.", "Yes, with a plug adapter."),
    ("Is it easy to clean?", "Cleaning it takes seconds with a damp cloth.",
     "Yes, a damp cloth is enough."),
    ("How heavy is it?", "It is lighter than I expected, under two pounds.",
     "It weighs under two pounds."),
    ("Does it have a strong smell?", "There was no smell at all out of the box.",
     "No, it has no smell."),
]  # fmt: skip
WEAK_ANSWERS = [
    "Not sure, sorry.",
    "I don't know.",
    "Please check the product description.",
    "I bought it as a gift so I can't say.",
]


def _question(p: Product, py: random.Random):
    """(question, type, answer, snippet stating the answer) about one of the attributes."""
    key, value = py.choice(p.attrs)
    t, a = p.type_name.lower(), key.lower()
    values = next(v for k, v in TYPES_BY_NAME[p.type_name].attrs if k == key)
    if py.random() < 0.5:
        asked = (
            value
            if py.random() < 0.5 or len(values) < 2
            else py.choice([v for v in values if v != value])
        )
        q = f"Is this {t} {asked}?" if py.random() < 0.5 else f"Does it come in {asked}?"
        ans = f"Yes, it is {value}." if asked == value else f"No, mine is {value}, not {asked}."
        qtype = "yesno"
    else:
        q = py.choice(
            [f"What is the {a} of this {t}?", f"What {a} is it?", f"Can you tell me the {a}?"]
        )
        ans = py.choice([f"It is {value}.", f"The {a} is {value}.", f"{value}."])
        qtype = "descriptive"
    use = TYPES_BY_NAME[p.type_name].uses[0]
    snippet = py.choice(VALUE_SNIPPETS).format(v=value, a=a, t=t, use=use)
    return q, qtype, ans, snippet


TYPES_BY_NAME = {t.name: t for _, t in TYPES}


def write_amazonqa(
    path: Path, picks: list[tuple[Catalog, int]], seed: int, progress: Progress
) -> int:
    asked: set[tuple[str, str]] = set()  # (asin, question): a question is asked once
    with TextSink(path, progress) as out:
        for first in range(0, len(picks), CHUNK):
            py = random.Random(f"{seed}:amazonqa:{first}")
            for cat, i in picks[first : first + CHUNK]:
                p = cat.product(i)
                snippets = py.sample(FILLER_SNIPPETS, py.randint(3, 7))
                answerable = py.random() < 0.55
                if py.random() < 0.65:
                    q, qtype, best, snippet = _question(p, py)
                else:
                    q, snippet, best = py.choice(ASPECTS)
                    qtype = "yesno" if q.startswith(("Is", "Does", "Can")) else "descriptive"
                if (p.asin, q) in asked:
                    continue
                asked.add((p.asin, q))
                if answerable:  # the snippet that states the answer is among the evidence
                    snippets.insert(py.randrange(len(snippets) + 1), snippet)
                top = py.randint(3, 40)
                answers = [{"answerText": best, "helpful": [top, top + py.randint(0, 5)]}]
                for _ in range(py.randint(0, 2)):
                    low = py.randint(0, top - 1)
                    answers.append(
                        {
                            "answerText": py.choice(WEAK_ANSWERS),
                            "helpful": [low, low + py.randint(0, 6)],
                        }
                    )
                py.shuffle(answers)
                out.json(
                    {
                        "asin": p.asin,
                        "category": p.category.key,
                        "questionText": q,
                        "questionType": qtype,
                        "review_snippets": snippets,
                        "answers": answers,
                        "is_answerable": answerable,
                    }
                )
        return out.rows


EPQA_COLUMNS = [
    "qid",
    "question",
    "ASIN",
    "candidate",
    "source",
    "qa_pair_id",
    "title",
    "label",
    "answer",
]


def write_epqa(path: Path, cat: Catalog, n_questions: int, seed: int, progress: Progress) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    py = random.Random(f"{seed}:epqa")
    pair = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(EPQA_COLUMNS)
        for qid in range(n_questions):
            p = cat.product(py.randrange(cat.n))
            key, value = py.choice(p.attrs)
            t, a = p.type_name.lower(), key.lower()
            question = py.choice(
                [
                    f"what is the {a} of this {t}?",
                    f"what {a} is this?",
                    f"is it available in {value.lower()}?",
                ]
            )
            others = [(k, v) for k, v in p.attrs if k != key]
            cands = [
                (
                    f"{key.lower().replace(' ', '_')}:  {{ value:{value} }}",
                    "attribute",
                    2,
                    f"The {a} is {value}.",
                ),
                (
                    f"i am pretty sure mine is {value.lower()}, but check the listing.",
                    "review",
                    1,
                    f"It is probably {value}.",
                ),
            ]
            cands += [
                (f"{k.lower().replace(' ', '_')}:  {{ value:{v} }}", "attribute", 0, "")
                for k, v in others
            ]
            cands += [(s.lower(), "review", 0, "") for s in py.sample(FILLER_SNIPPETS, 3)]
            cands += [(d.lower(), "description", 0, "") for d in p.description]
            cands += [
                (p.features[-1].lower(), "bullet", 0, ""),
                ("yes it works great. Question: is it easy to clean? ", "cqa", 0, ""),
            ]
            fillers = [s for s in FILLER_SNIPPETS if s.lower() not in {c[0] for c in cands}]
            cands += [(s.lower(), "review", 0, "") for s in fillers[: max(0, 10 - len(cands))]]
            # Ten candidates per question, as published; the labelled ones are always kept.
            for cand, source, label, answer in py.sample(cands[:10], 10):
                w.writerow([qid, question, p.asin, cand, source, pair, p.title, label, answer])
                pair += 1
            progress.update(1)
    return pair


def write_mcauley(folder: Path, cat: Catalog, n: int, seed: int, progress: Progress) -> list[str]:
    """One `qa_<Category>.json` per category, as published (the file name gives the category);
    `n` lines in all. Returns the file names."""
    py = random.Random(f"{seed}:mcauley")
    asked: set[tuple[str, str]] = set()  # (asin, question): asked once
    names = []
    for ci, c in enumerate(CATEGORIES):
        names.append(f"qa_{c.key}.json")
        members = cat.cat_members[ci]
        target = n // len(CATEGORIES)
        with TextSink(folder / names[-1], progress) as out:
            # Bounded: a tiny catalogue may run out of distinct questions before the target.
            for _ in range(20 * target if members.size else 0):
                if out.rows >= target:
                    break
                p = cat.product(int(members[py.randrange(members.size)]))
                for _ in range(py.randint(1, 4)):
                    q, qtype, answer, _ = _question(p, py)
                    if (p.asin, q) not in asked:
                        asked.add((p.asin, q))
                        out.json(_mcauley_row(p, q, qtype, answer, py))
    return names


def _mcauley_row(p: Product, q: str, qtype: str, answer: str, py: random.Random) -> dict:
    day = dt.date(2010, 1, 1) + dt.timedelta(days=py.randrange(2000))
    row = {
        "questionType": "yes/no" if qtype == "yesno" else "open-ended",
        "asin": p.asin,
        "answerTime": day.strftime("%b %d, %Y"),
        "unixTime": int(dt.datetime(day.year, day.month, day.day, 7, tzinfo=dt.UTC).timestamp()),
        "question": q,
    }
    if qtype == "yesno":
        row["answerType"] = "Y" if answer.startswith("Yes") else "N"
    row["answer"] = answer
    return row
