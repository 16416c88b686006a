from pathlib import Path

import pytest

from ecinstruct.sample import generate

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def tiny_sample(tmp_path_factory) -> Path:
    """The sample at scale 0.05 (floors everywhere): the shape of every file, fast."""
    return generate(tmp_path_factory.mktemp("tiny") / "sample", scale=0.05, seed=0)


@pytest.fixture(scope="session")
def mid_sample(tmp_path_factory) -> Path:
    """The sample at scale 0.3: enough rows for statistical signal checks."""
    return generate(tmp_path_factory.mktemp("mid") / "sample", scale=0.3, seed=0)


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.skip("real data samples not available")
    return REAL
