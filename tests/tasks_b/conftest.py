"""Small canonical fixtures for the ESCI and product-QA task builders, written in their schemas.

ESCI and AmazonQA text is not available offline, so the rows below are made up; each exists to
exercise one rule (named in the comment beside it).
"""

from __future__ import annotations

import polars as pl
import pytest

from ecinstruct.canonical import Canonical
from ecinstruct.tasks.base import TaskContext

OOD = ["O1", "O2", "O3"]

# (query_id, query, product_id, label, small_version, locale)
JUDGMENTS = [
    ("q1", "usb c charger", "P01", "E", True, "us"),  # four labels, two exact products
    ("q1", "usb c charger", "P02", "S", True, "us"),
    ("q1", "usb c charger", "P03", "C", True, "us"),
    ("q1", "usb c charger", "P04", "I", True, "us"),
    ("q1", "usb c charger", "P05", "E", True, "us"),
    ("q2", "running shoes men", "P06", "E", True, "us"),  # two labels
    ("q2", "running shoes men", "P07", "E", True, "us"),
    ("q2", "running shoes men", "P08", "S", True, "us"),
    ("q3", "coffee grinder", "P09", "I", True, "us"),  # two labels, no exact
    ("q3", "coffee grinder", "P10", "C", True, "us"),
    ("q3", "coffee grinder", "P11", "I", True, "us"),
    ("q4", "desk lamp", "P12", "E", True, "us"),  # one label only
    ("q4", "desk lamp", "P13", "E", True, "us"),
    ("q5", "zapatillas", "P14", "E", True, "es"),  # non-US locale
    ("q5", "zapatillas", "P15", "S", True, "es"),
    ("q6", "bike helmet", "P16", "E", False, "us"),  # large version only
    ("q6", "bike helmet", "P17", "S", False, "us"),
    ("q7", "phone case", "P18", "E", True, "us"),  # OOD S and C: in-distribution side kept
    ("q7", "phone case", "O1", "S", True, "us"),
    ("q7", "phone case", "O2", "C", True, "us"),
    ("q7", "phone case", "P19", "S", True, "us"),
    ("q8", "garden hose", "O1", "E", True, "us"),  # all OOD
    ("q8", "garden hose", "O3", "I", True, "us"),
    ("q9", "water bottle", "P20", "E", True, "us"),  # one label on each side
    ("q9", "water bottle", "O3", "S", True, "us"),
    ("q10", "notebook", "P01", "E", True, "us"),
    ("q10", "notebook", "P99", "S", True, "us"),  # no product text
    ("q10", "notebook", "P02", "X", True, "us"),  # unknown label
    ("q1", "usb c charger", "P02", "I", True, "us"),  # judged twice
    ("q11", "hdmi cable", "P03", "exact", True, "us"),  # spelled-out labels
    ("q11", "hdmi cable", "P04", "Substitute", True, "US"),
    ("q12", "  ", "P05", "E", True, "us"),  # blank query
]

TITLES = {
    "P01": 'Anker USB C Charger 20W, "Nano" Fast Charger',
    "P02": "Belkin 18W USB-C Wall Charger",
    "P03": "USB C to Lightning Cable 6 ft",
    "P04": "Stainless Steel Water Bottle 32 oz",
    "P05": "Apple 20W USB-C Power Adapter",
    "P06": "Nike Revolution 6 Men's Running Shoe",
    "P07": "ASICS Gel-Contend 7 Men's Running Shoes",
    "P08": "Brooks Women's Ghost 14",
    "P09": "Ceramic Pour Over Dripper",
    "P10": "Coffee Beans Whole Bean 2 lb",
    "P11": "Electric Kettle 1.7 L",
    "P12": "LED Desk Lamp with USB Charging Port",
    "P13": "Architect Desk Lamp, Black",
    "P14": "Zapatillas de running Adidas",
    "P15": "Zapatillas Puma Hombre",
    "P16": "Giro Register MIPS Bike Helmet",
    "P17": "Kids Bike Helmet, Adjustable",
    "P18": "OtterBox Defender Case for iPhone 13",
    "P19": "Spigen Tough Armor Case for iPhone 12",
    "P20": "Hydro Flask 24 oz Water Bottle",
    "O1": "Screen Protector for iPhone 13, 3 Pack",
    "O2": "Car Phone Mount",
    "O3": "Expandable Garden Hose 50 ft",
}


@pytest.fixture
def esci() -> Canonical:
    judgments = pl.DataFrame(
        JUDGMENTS,
        schema=["query_id", "query", "product_id", "label", "small_version", "locale"],
        orient="row",
    ).with_columns(source=pl.lit("esci"))
    products = pl.DataFrame(
        {"product_id": list(TITLES), "title": list(TITLES.values())}
    ).with_columns(source=pl.lit("esci"))
    # The same ASIN from a review dump: its title must not replace ESCI's, its category fills in.
    other = pl.DataFrame(
        {
            "product_id": ["P01"],
            "source": ["amazon_reviews_2018"],
            "title": ["Charger"],
            "category": ["Cell Phones & Accessories"],
        }
    )
    canonical = Canonical()
    canonical.add("amazon_reviews_2018", {"products": other})
    canonical.add("esci", {"judgments": judgments, "products": products})
    return canonical


LONG = " ".join(f"w{i}" for i in range(120))

# (question_id, product_id, question, evidence, answers, answerable, category)
QUESTIONS = [
    (
        "a1",
        "B001",
        "Does it fit  an iPhone 12?",
        ["It fits my iPhone 12 perfectly.", "", "It fits my iPhone 12 perfectly.", "Great case"],
        ["Yes, it fits the iPhone 12.", "no"],
        True,
        "Electronics",
    ),
    ("a2", "B001", "Is it waterproof?", ["Nice color.", "Arrived fast."], ["No idea"], False, None),
    ("a3", "B002", "How long is the cord?", [], ["About 6 feet."], True, "Electronics"),
    ("a4", "B003", "What is the battery life?", None, ["About 10 hours."], None, None),
    ("a5", "B004", "   ", ["Works well."], ["Yes"], True, "Toys"),
    (
        "a6",
        "B001",
        "does it fit an iphone 12?",
        ["It fits my iPhone 12 perfectly.", "Great case"],
        ["Yes"],
        True,
        "Electronics",
    ),
    ("a7", "B005", "Is it dishwasher safe?", [f"s{i} ok" for i in range(14)], ["Yes"], True, None),
    ("a8", "B006", "How big is it?", [LONG], [LONG], True, "Home"),
    ("a9", "B007", "Does it come with batteries?", ["No batteries here."], [], True, "Toys"),
    ("a10", "B008", "Is it loud?", [], ["Quiet."], None, "Home"),  # no snippets, no reviews
    (
        "a11",
        "O1",
        "Is the glass tempered?",
        ["Tempered glass, 9H."],
        ["Yes, 9H glass."],
        True,
        None,
    ),
    ("a12", "B009", "Is it heavy?", [" ", "\n\t"], ["No."], True, None),  # blank snippets only
]

# (review_id, product_id, text, helpful_votes)
REVIEWS = [
    ("r1", "B003", "Lasts all day.", 2),
    ("r2", "B003", "ok", None),
    ("r3", "B003", " Battery  lasts about ten hours on one charge. ", 2),
    ("r4", "B002", "The cord is long enough for my desk.", 0),
    ("r5", "B002", "   ", 9),
    ("r6", "B003", "Lasts all day.", 1),
]


@pytest.fixture
def qa() -> Canonical:
    questions = pl.DataFrame(
        QUESTIONS,
        schema=[
            "question_id",
            "product_id",
            "question",
            "evidence",
            "answers",
            "answerable",
            "category",
        ],
        orient="row",
    ).with_columns(source=pl.lit("amazonqa"))
    reviews = pl.DataFrame(
        REVIEWS, schema=["review_id", "product_id", "text", "helpful_votes"], orient="row"
    ).with_columns(source=pl.lit("amazon_reviews_2018"))
    products = pl.DataFrame(
        {"product_id": ["B003"], "source": ["amazon_reviews_2018"], "category": ["Cell Phones"]}
    )
    canonical = Canonical()
    canonical.add("amazonqa", {"questions": questions})
    canonical.add("amazon_reviews_2018", {"reviews": reviews, "products": products})
    return canonical


def _ctx(seed: int) -> TaskContext:
    return TaskContext(seed=seed, ood_products=pl.DataFrame({"product_id": OOD}))


@pytest.fixture
def make_ctx():
    return _ctx


@pytest.fixture
def ctx() -> TaskContext:
    return _ctx(0)
