"""Every source kind and its adapter module (one explicit dict; STYLE.md rule 2).

An adapter module declares `KIND`, `KEYS` (config key -> required) and
`load(ctx: LoadContext) -> dict[table name, DataFrame]`; its rejections go to `ctx.reject`.
It may also declare `PARTS` (config key -> a function like `load` that reads that key's files
alone): parts that together do what `load` does, which may then load at the same time.
"""

from __future__ import annotations

from types import ModuleType

from ecinstruct.sources import (
    amazon2018,
    amazon2023,
    amazon_google,
    amazonqa,
    epqa,
    esci,
    mave,
    mcauley_qa,
    oa_mine,
)

ADAPTERS: dict[str, ModuleType] = {
    module.KIND: module
    for module in (
        amazon2018,
        amazon2023,
        amazon_google,
        mave,
        esci,
        amazonqa,
        oa_mine,
        epqa,
        mcauley_qa,
    )
}
