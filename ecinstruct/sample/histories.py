"""User purchase histories: who reviewed what, when, with which rating (vectorised per chunk).

A user has a home category and walks the catalogue: the next item is usually bought together
with the previous one (a complementary type), sometimes an alternative to it, sometimes a
popular item of the home category, rarely something from elsewhere. That is the signal next-item
prediction learns. Three quarters of users are "5-core" (at least 5 reviews); timestamps are
strictly increasing per user; ratings follow the item's latent quality plus a user bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecinstruct.sample.catalog import N_BUY, N_VIEW, Catalog
from ecinstruct.sample.vocab import CATEGORIES

CORE_SHARE = 0.75
_P_MORE = 0.45  # core users have 4 + Geometric(_P_MORE) reviews: 6.2 on average
# Mean reviews per user under the length model below (used to size user counts).
MEAN_LENGTH = CORE_SHARE * (4 + 1 / _P_MORE) + (1 - CORE_SHARE) * 2.5
DAY = 86_400
# Cut points on the latent score (sd ~1.27) for ratings 1..5: about 14/9/13/22/42 percent.
_CUTS = np.array([-1.08, -0.74, -0.36, 0.20]) * 1.27


@dataclass
class Chunk:
    user: np.ndarray  # global user index per review, grouped by user, chronological
    item: np.ndarray  # catalogue index
    rating: np.ndarray  # 1..5
    day: np.ndarray  # days since the epoch


def chunk(
    cat: Catalog,
    rel: dict[str, np.ndarray],
    first_user: int,
    n_users: int,
    rng: np.random.Generator,
    days: tuple[int, int],
) -> Chunk:
    n_cats = len(CATEGORIES)
    core = rng.random(n_users) < CORE_SHARE
    length = np.where(core, 4 + rng.geometric(_P_MORE, n_users), rng.integers(1, 5, n_users))
    length = np.minimum(length, 30)
    width = int(length.max())
    home = rng.integers(0, n_cats, n_users)
    items = np.full((n_users, width), -1, dtype=np.int64)
    prev = cat.popular(home, rng)
    items[:, 0] = prev
    for j in range(1, width):
        u = rng.random(n_users)
        r = rng.integers(0, 1 << 30, n_users)
        buy = rel["also_buy"][prev, r % N_BUY]
        view = rel["also_view"][prev, r % N_VIEW]
        home_pick = cat.popular(home, rng)
        away_pick = cat.popular(rng.integers(0, n_cats, n_users), rng)
        nxt = np.where(u < 0.5, buy, np.where(u < 0.65, view, np.where(u < 0.67, away_pick, -1)))
        nxt = np.where(nxt < 0, home_pick, nxt)
        active = length > j
        items[:, j] = np.where(active, nxt, -1)
        prev = np.where(active, nxt, prev)
    mask = items >= 0

    bias = rng.normal(0.0, 0.4, n_users)
    latent = cat.quality[np.maximum(items, 0)] + bias[:, None] + rng.normal(0, 0.9, items.shape)
    rating = (np.searchsorted(_CUTS, latent) + 1).astype(np.int8)

    lo, hi = days
    gaps = 1 + rng.exponential(40.0, items.shape).astype(np.int64)
    gaps[:, 0] = 0
    offset = np.cumsum(np.where(mask, gaps, 0), axis=1)
    start = rng.integers(lo, hi, n_users)
    # Shift a history back so its last review still falls inside the window.
    start = np.maximum(np.minimum(start, hi - offset[:, -1]), lo)
    day = start[:, None] + offset

    users = np.broadcast_to(np.arange(first_user, first_user + n_users)[:, None], items.shape)
    return Chunk(users[mask], items[mask], rating[mask], day[mask])
