"""Built-in sample data: every supported raw source, in its real published format.

`generate(out_dir, scale, seed)` writes plausible, internally consistent e-commerce data for
all source kinds (Amazon Reviews 2018 and 2023, Amazon-Google Products, MAVE, ESCI, AmazonQA,
OA-Mine, ePQA, McAuley QA) plus a `sources.toml` naming them, so every task can be built and
tested without downloads. Products come from per-category vocabularies
(`ecinstruct.sample.vocab`) and share one ASIN space across sources where the real data does
(MAVE, ESCI, AmazonQA, ePQA, McAuley QA and Amazon-Google all reuse Amazon 2018 ASINs in part).

Deliberately dirty rows (written when `dirty=True`, the default) exercise the rejection path:

* `amazon_reviews_2018/All_5.json.gz`: one malformed JSON line (a review object cut off
  mid-string), the 8th line of the file;
* the same file: one review with an empty `reviewText` (the 13th line, after the bad one);
* `esci/shopping_queries_dataset_examples.parquet`: one US row with the unknown ESCI label
  "X" (the first US row from `example_id` 3 on).

Everything else is clean as the published formats go: HTML fragments in `category`,
`main_cat` and `description`, HTML entities in titles, empty strings for missing metadata,
related ASINs without a metadata row, Latin-1 and apostrophe quoting in the Amazon-Google
CSVs are all part of the real formats, not defects. `similar_item` is a list of ASINs for
most products and the published dump's HTML comparison table for a quarter of them.
"""

from __future__ import annotations

from pathlib import Path

from ecinstruct.sample.generate import PER_SCALE, counts, generate_all

__all__ = ["PER_SCALE", "counts", "generate"]


def generate(
    out_dir: Path,
    scale: float = 1.0,
    seed: int = 0,
    *,
    progress: bool = False,
    dirty: bool = True,
) -> Path:
    """Write the sample's raw files and `sources.toml` under `out_dir`; return the toml path.

    Sizes are linear in `scale` (above small floors that keep every file non-trivial):

        per unit of scale
        Amazon 2018 products (meta)    3,000    6 categories, the reviewed catalogue
        Amazon 2018 reviews          ~26,000    ~5,200 users, 3/4 with >= 5 reviews
        Amazon 2023 items / reviews   500 / ~4,800
        ESCI products / queries       1,800 / 2,000 (~10 judged products per query)
        Amazon.csv / Google listings  800 / ~1,500 (~750 matches)
        MAVE positives / negatives    1,400 / 500
        AmazonQA questions            2,400 (55% answerable)
        OA-Mine / ePQA / McAuley QA   600 / 250 questions x 10 candidates / 1,500

    Product records across all catalogues come to ~7,700 per unit of scale and reviews to
    ~30,800, so `scale=1` is ~3,000 main products and ~30,000 reviews (seconds to write) and
    `scale=65` is ~500,000 product records and ~2,000,000 reviews. Files are written in
    chunks (memory stays bounded), byte-identical for the same (scale, seed). `progress`
    shows a bar; `dirty=False` leaves out the deliberately broken rows listed in the module
    docstring.
    """
    return generate_all(Path(out_dir), scale, seed, progress, dirty)
