"""Write the whole sample: every source kind's raw files plus the `sources.toml` naming them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ecinstruct.config import check_scale
from ecinstruct.sample import (
    amazon2018,
    amazon2023,
    attributes,
    esci,
    histories,
    ids,
    matching,
    qa,
)
from ecinstruct.sample.catalog import Catalog
from ecinstruct.sample.sinks import Progress
from ecinstruct.sample.vocab import OOD_CATEGORY

# Counts at scale 1 and the floor that keeps every file meaningful at tiny scales. Every
# count is max(floor, round(per_scale * scale)): linear in `scale` above the floors.
PER_SCALE: dict[str, tuple[int, int]] = {
    "products_2018": (3_000, 150),
    "reviews_2018": (26_000, 600),
    "products_2023": (500, 60),
    "reviews_2023": (4_800, 200),
    "esci_products": (1_800, 120),  # 40% of them reuse Amazon 2018 ASINs
    "esci_queries": (2_000, 80),
    "amazon_products": (800, 40),  # Google listings come to ~1.9 times this
    "mave_positives": (1_400, 60),
    "mave_negatives": (500, 20),
    "oa_mine": (600, 30),
    "amazonqa": (2_400, 100),  # 60% about Amazon 2018 ASINs
    "epqa_questions": (250, 15),
    "mcauley_qa": (1_500, 60),
}
OOD_CATEGORIES = (OOD_CATEGORY.top,)


HEADER = "# Built-in sample data in the published raw formats, written by ecinstruct.sample"


def is_sample_folder(folder: Path) -> bool:
    """Whether `folder` is a sample this module wrote (its sources.toml starts with HEADER)."""
    try:
        with (folder / "sources.toml").open(encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == HEADER
    except (OSError, UnicodeDecodeError):
        return False


def foreign_files(folder: Path) -> list[str]:
    """The files in the sample folder `folder` that the sample did not write (posix paths,
    sorted, hidden ones included): those its sources.toml does not name. A new sample would
    delete them (one's own sources.toml variants beside it, say)."""
    import tomllib

    from ecinstruct.paths import is_junk

    try:
        config = tomllib.loads((folder / "sources.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        config = {}
    named = {"sources.toml"}
    for table in config.values():
        for value in table.values() if isinstance(table, dict) else ():
            named.update(
                v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)
            )
    return sorted(
        rel
        for p in folder.rglob("*")
        if not p.is_dir()
        and (rel := p.relative_to(folder).as_posix()) not in named
        and not is_junk(rel)
    )


def counts(scale: float) -> dict[str, int]:
    check_scale(scale, "scale")
    return {k: max(floor, round(per * scale)) for k, (per, floor) in PER_SCALE.items()}


def generate_all(out_dir: Path, scale: float, seed: int, progress: bool, dirty: bool) -> Path:
    n = counts(scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bar = Progress(progress, total=_expected_rows(n))
    try:
        files = _write_sources(out_dir, n, seed, bar, dirty)
    finally:
        bar.close()
    toml = out_dir / "sources.toml"
    toml.write_text(_toml(files, scale, seed), encoding="utf-8")
    return toml


def _catalog(n: int, ns: int, seed: int, tag: int) -> Catalog:
    return Catalog(n, ns, seed, np.random.default_rng([seed, tag]))


def _write_sources(out: Path, n: dict[str, int], seed: int, bar: Progress, dirty: bool):
    files: dict[str, dict[str, str | list[str]]] = {}

    cat18 = _catalog(n["products_2018"], ids.NS_AMAZON_2018, seed, 1)
    rel18 = cat18.relations(np.random.default_rng([seed, 2]))
    folder = "amazon_reviews_2018"
    users = max(1, round(n["reviews_2018"] / histories.MEAN_LENGTH))
    amazon2018.write_reviews(out / folder / "All_5.json.gz", cat18, rel18, users, seed, bar, dirty)
    amazon2018.write_meta(out / folder / "meta_All.json", cat18, rel18, seed, bar)
    files["amazon_reviews_2018"] = {
        "reviews": f"{folder}/All_5.json.gz",
        "meta": f"{folder}/meta_All.json",
    }

    cat23 = _catalog(n["products_2023"], ids.NS_AMAZON_2023, seed, 3)
    rel23 = cat23.relations(np.random.default_rng([seed, 4]))
    folder = "amazon_reviews_2023"
    users = max(1, round(n["reviews_2023"] / histories.MEAN_LENGTH))
    amazon2023.write_reviews(out / folder / "All.jsonl", cat23, rel23, users, seed, bar)
    amazon2023.write_meta(out / folder / "meta_All.jsonl", cat23, seed, bar)
    files["amazon_reviews_2023"] = {
        "reviews": f"{folder}/All.jsonl",
        "meta": f"{folder}/meta_All.jsonl",
    }

    n_amazon = n["amazon_products"]
    own = _catalog(2 * n_amazon, ids.NS_MATCHING, seed, 6)
    folder = "amazon_google_products"
    names = matching.write(out / folder, cat18, own, n_amazon, seed, bar)
    files["amazon_google_products"] = {k: f"{folder}/{v}" for k, v in names.items()}

    folder = "mave"
    names = attributes.write_mave(
        out / folder, cat18, n["mave_positives"], n["mave_negatives"], seed, bar
    )
    files["mave"] = {k: f"{folder}/{v}" for k, v in names.items()}

    n_shared = int(n["esci_products"] * 0.4)
    own = _catalog(n["esci_products"] - n_shared, ids.NS_ESCI, seed, 7)
    pool = esci.Pool(cat18, n_shared, own, np.random.default_rng([seed, 8]))
    folder = "esci"
    names = esci.write(out / folder, pool, n["esci_queries"], seed, bar, dirty)
    files["esci"] = {k: f"{folder}/{v}" for k, v in names.items()}

    n_qa = n["amazonqa"]
    own = _catalog(max(1, n_qa // 5), ids.NS_AMAZONQA, seed, 9)
    rng = np.random.default_rng([seed, 10])
    shared = rng.random(n_qa) < 0.6
    picks = [
        (cat18, int(rng.integers(0, cat18.n))) if s else (own, int(rng.integers(0, own.n)))
        for s in shared
    ]
    qa.write_amazonqa(out / "amazonqa" / "train-qar.jsonl", picks, seed, bar)
    files["amazonqa"] = {"files": "amazonqa/train-qar.jsonl"}

    oa = _catalog(n["oa_mine"], ids.NS_OA_MINE, seed, 11)
    attributes.write_oa_mine(
        out / "attribute_extraction" / "oa-mine_sample.jsonl", oa, n["oa_mine"], seed, bar
    )
    files["oa_mine"] = {"files": "attribute_extraction/oa-mine_sample.jsonl"}

    qa.write_epqa(out / "product_qa" / "ePQA_sample.csv", cat18, n["epqa_questions"], seed, bar)
    files["epqa"] = {"files": "product_qa/ePQA_sample.csv"}
    names = qa.write_mcauley(out / "product_qa", cat18, n["mcauley_qa"], seed, bar)
    files["mcauley_qa"] = {"files": [f"product_qa/{name}" for name in names]}
    return files


def _expected_rows(n: dict[str, int]) -> int:
    return (
        n["reviews_2018"]
        + n["products_2018"]
        + n["reviews_2023"]
        + n["products_2023"]
        + 4 * n["amazon_products"]
        + n["mave_positives"]
        + n["mave_negatives"]
        + 10 * n["esci_queries"]
        + n["esci_products"]
        + n["amazonqa"]
        + n["oa_mine"]
        + n["epqa_questions"]
        + n["mcauley_qa"]
    )


# Keys whose value is a list in the published sample configs (several files per kind are
# common there); single published files are plain strings.
_LIST_KEYS = {"reviews", "meta", "files"}


def _toml(files: dict[str, dict[str, str | list[str]]], scale: float, seed: int) -> str:
    lines = [
        HEADER,
        f"# (scale={scale}, seed={seed}). Paths are relative to this file.",
        "# Usage: python -m ecinstruct build --sources <this file> --out DIR",
    ]
    for kind, keys in files.items():
        lines += ["", f"[{kind}]"]
        for key, value in keys.items():
            if key in _LIST_KEYS:
                paths = [value] if isinstance(value, str) else value
                lines.append(f"{key} = [" + ", ".join(f'"{p}"' for p in paths) + "]")
            else:
                lines.append(f'{key} = "{value}"')
        if kind == "amazon_reviews_2018":
            lines.append("ood_categories = [" + ", ".join(f'"{c}"' for c in OOD_CATEGORIES) + "]")
    return "\n".join(lines) + "\n"
