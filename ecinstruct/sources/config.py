"""Parse a build's source configuration (TOML) into `SourceSpec`s.

One table per source kind; each key names one or more raw files (a string or a list of
strings), relative to the TOML file. `ood_categories` optionally lists the categories held
out for OOD tests. A kind may be repeated as an array of tables (`[[amazon_reviews_2018]]`).

    [amazon_reviews_2018]
    reviews = ["amazon_reviews_2018/Gift_Cards_5.json"]
    meta = "amazon_reviews_2018/meta_Gift_Cards.json"
    ood_categories = ["Gift Cards"]

Every problem is a `UserError` with one line naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from ecinstruct.errors import UserError
from ecinstruct.sources.registry import ADAPTERS
from ecinstruct.sources.spec import SourceSpec

OOD_KEY = "ood_categories"

__all__ = ["SourceSpec", "load_config"]


def load_config(path: str | os.PathLike) -> list[SourceSpec]:
    config_path = Path(path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{config_path}: source config not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{config_path}: cannot read source config ({_reason(err)})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{config_path}: TOML syntax error: {err}") from None
    if not document:
        raise UserError(f"{config_path}: no sources configured (known kinds: {_known()})")

    specs = []
    for kind, value in document.items():
        if kind not in ADAPTERS:
            raise UserError(
                f"{config_path}: unknown source kind [{kind}] (known kinds: {_known()})"
            )
        tables = value if isinstance(value, list) else [value]
        for table in tables:
            if not isinstance(table, dict):
                raise UserError(f"{config_path}: [{kind}] must be a table of file keys")
            specs.append(_spec(config_path, kind, table))
    return specs


def _spec(config_path: Path, kind: str, table: dict) -> SourceSpec:
    keys: dict[str, bool] = ADAPTERS[kind].KEYS
    where = f"{config_path}: [{kind}]"
    allowed = ", ".join([*keys, OOD_KEY])
    for key in table:
        if key not in keys and key != OOD_KEY:
            raise UserError(f"{where} unknown key {key!r} (allowed: {allowed})")
    for key, required in keys.items():
        if required and key not in table:
            raise UserError(f"{where} missing required key {key!r}")

    files = {
        key: [_data_file(config_path, where, key, name) for name in _strings(where, key, value)]
        for key, value in table.items()
        if key != OOD_KEY
    }
    for key, paths in files.items():
        if not paths and keys[key]:
            raise UserError(f"{where} {key}: needs at least one file")
    ood = tuple(_strings(where, OOD_KEY, table.get(OOD_KEY, [])))
    return SourceSpec(kind=kind, files=files, ood_categories=ood, config_path=config_path)


def _strings(where: str, key: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise UserError(f"{where} {key}: expected a string or a list of strings, got {value!r}")


GZIP_MAGIC = b"\x1f\x8b"


def _data_file(config_path: Path, where: str, key: str, name: str) -> Path:
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = config_path.parent / path
    if not path.exists():
        raise UserError(f"{where} {key}: file not found: {name} (looked at {path})")
    if not path.is_file():
        raise UserError(f"{where} {key}: not a file: {name}")
    try:
        with path.open("rb") as handle:
            start = handle.read(2)
    except OSError as err:
        raise UserError(f"{where} {key}: cannot read {name} ({_reason(err)})") from None
    # Readers go by the name: a compressed file read as text is thousands of garbled rows.
    gzipped, named = start == GZIP_MAGIC, path.name.endswith(".gz")
    if gzipped and not named:
        raise UserError(
            f"{where} {key}: {name} is gzip-compressed but its name does not end in .gz; "
            f"rename it {path.name}.gz (and the config with it)"
        )
    if named and not gzipped and start:
        raise UserError(f"{where} {key}: {name} ends in .gz but is not gzip-compressed")
    return path


def _known() -> str:
    return ", ".join(sorted(ADAPTERS))


def _reason(err: Exception) -> str:
    return getattr(err, "strerror", None) or type(err).__name__
