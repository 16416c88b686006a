"""The generated sample loads through the source adapters with only the injected rejections."""

import tomllib

import pytest

sources = pytest.importorskip("ecinstruct.sources")

# (kind, file) -> number of rows deliberately broken by the generator (see ecinstruct.sample).
INJECTED = {
    ("amazon_reviews_2018", "amazon_reviews_2018/All_5.json.gz"): 2,
    ("esci", "esci/shopping_queries_dataset_examples.parquet"): 1,
}


def _registered_config(sample_toml, tmp_path):
    """The sample's config restricted to the kinds that have an adapter."""
    config = tomllib.loads(sample_toml.read_text(encoding="utf-8"))
    kinds = [k for k in config if k in sources.ADAPTERS]
    if not kinds:
        pytest.skip("no source adapters registered")
    lines = []
    for kind in kinds:
        lines.append(f"[{kind}]")
        for key, value in config[kind].items():
            values = [value] if isinstance(value, str) else value
            paths = [v if key == "ood_categories" else str(sample_toml.parent / v) for v in values]
            lines.append(f"{key} = [" + ", ".join(f'"{p}"' for p in paths) + "]")
    path = tmp_path / "registered.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, kinds


def test_sample_loads_with_only_the_injected_rejections(tiny_sample, tmp_path):
    config, kinds = _registered_config(tiny_sample, tmp_path)
    specs = sources.load_config(config)
    canonical, provenance = sources.load_canonical(specs, progress=False)

    by_file = {(p["kind"], p["file"].split("/sample/")[-1]): p for p in provenance}
    for (kind, name), p in by_file.items():
        expected = next((n for (k, f), n in INJECTED.items() if k == kind and name.endswith(f)), 0)
        assert p["rows_rejected"] == expected, (kind, name, canonical["rejected"].to_dicts())
        assert p["rows_read"] > 0, (kind, name)
    assert canonical["rejected"].height == sum(p["rows_rejected"] for p in provenance)

    if "amazon_reviews_2018" in kinds:
        reasons = set(
            canonical["rejected"].filter(canonical["rejected"]["source"] == "amazon_reviews_2018")[
                "reason"
            ]
        )
        assert reasons == {"malformed_json", "empty_text"}
        products = canonical["products"]
        assert "Tools & Home Improvement" in set(products["category"])
        relations = set(canonical["relations"]["relation"])
        assert {"also_buy", "also_view", "similar"} <= relations
