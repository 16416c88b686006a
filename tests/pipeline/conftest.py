import pytest

from ecinstruct.build import run
from ecinstruct.config import BuildConfig


@pytest.fixture(scope="session")
def sample_toml(tmp_path_factory):
    from ecinstruct.sample import generate

    return generate(tmp_path_factory.mktemp("sample"), scale=0.2, seed=0, progress=False)


@pytest.fixture(scope="session")
def small_build(tmp_path_factory, sample_toml):
    out = tmp_path_factory.mktemp("build") / "ds"
    manifest = run(BuildConfig(sources=sample_toml, out=out, per_task=200, progress=False), argv=["build"])
    return out, manifest
