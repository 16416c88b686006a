"""The loopback Hub keeps the promises its docstring makes (auth, privacy, listings, ranges)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ecinstruct.publish import publish

REPO = "ns/basics"


def _post(url: str, body: dict, token: str | None = None) -> int:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_writes_need_a_token_for_the_namespace(kit, hub):
    create = {"name": "x", "organization": "ns", "type": "dataset"}
    assert _post(f"{hub.url}/api/repos/create", create) == 401
    assert _post(f"{hub.url}/api/repos/create", create, kit.READ_TOKEN) == 403
    other = create | {"organization": "someone-else"}
    assert _post(f"{hub.url}/api/repos/create", other, kit.WRITE_TOKEN) == 403
    assert _post(f"{hub.url}/api/repos/create", create, kit.WRITE_TOKEN) == 200
    assert _post(f"{hub.url}/api/repos/create", create, kit.WRITE_TOKEN) == 409
    commit = f"{hub.url}/api/datasets/ns/x/commit/main"
    assert _post(commit, {"key": "header", "value": {"summary": "s"}}) == 401


def test_private_repos_are_invisible_to_others(built, hub_client, monkeypatch):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    publish(built, REPO, private=True)
    assert HfApi().repo_info(REPO, repo_type="dataset").private
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(RepositoryNotFoundError):
        HfApi().repo_info(REPO, repo_type="dataset")


def test_listings_paths_info_and_ranged_reads(built, hub_client):
    from huggingface_hub import HfApi, HfFileSystem

    publish(built, REPO)
    api = HfApi()
    top = {e.path for e in api.list_repo_tree(REPO, repo_type="dataset")}
    assert top == {".gitattributes", "README.md", "build.json", "data", "rejected.parquet"}
    under = {e.path for e in api.list_repo_tree(REPO, "data", repo_type="dataset", recursive=True)}
    assert "data/sentiment_analysis" in under
    assert "data/sentiment_analysis/train-00000-of-00001.parquet" in under
    info = api.get_paths_info(REPO, ["README.md", "data", "missing.txt"], repo_type="dataset")
    assert [type(i).__name__ for i in info] == ["RepoFile", "RepoFolder"]
    readme = (built / "README.md").read_bytes()
    assert info[0].size == len(readme)
    with HfFileSystem().open(f"datasets/{REPO}/README.md", "rb", block_size=64) as f:
        f.seek(100)
        assert f.read(50) == readme[100:150]
