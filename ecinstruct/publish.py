"""Publishing a built dataset folder to the Hugging Face Hub, as one commit.

Only a complete build whose quality gate passed and whose data files still match the hashes
recorded in build.json leaves the machine. Token and endpoint come from huggingface_hub's own
settings (HF_TOKEN or `hf auth login`, HF_ENDPOINT); every Hub or network failure becomes one
`UserError` line.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ecinstruct import signals
from ecinstruct.errors import UserError
from ecinstruct.paths import is_junk
from ecinstruct.progress import console
from ecinstruct.writer import sha256_file

REQUIRED = ("build.json", "README.md")
REPO_TYPE = "dataset"


@dataclass(frozen=True)
class Upload:
    path: str  # posix path inside the folder and the repo
    bytes: int
    verified: bool  # its sha256 was checked against build.json


def check_folder(folder: Path) -> tuple[dict, list[Upload]]:
    """The manifest and the files to upload; raises UserError when the folder must not ship."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise UserError(
            f"{folder} is not a complete build: {', '.join(missing)} missing "
            "(build it with `python -m ecinstruct build --out DIR`)"
        )
    try:
        manifest = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{folder / 'build.json'} is not valid JSON: {e}") from None
    gate = manifest.get("gate") or {}
    if gate.get("passed") is not True:
        # A build lists the expectations that failed; a hand-made manifest may name checks.
        failed = [str(f) for f in gate.get("failed") or []] or sorted(
            k for k, ok in (gate.get("checks") or {}).items() if ok is not True
        )
        shown = ", ".join(failed[:3]) + (f" and {len(failed) - 3} more" if len(failed) > 3 else "")
        detail = f" (failed: {shown})" if failed else ""
        raise UserError(
            f"{folder} failed its quality gate{detail}; refusing to publish (its "
            "quality_report.md lists the failed checks; fix the sources and rebuild)"
        )
    recorded = manifest.get("files") or {}
    if not recorded:
        raise UserError(f"{folder} is not a complete build: build.json records no data files")
    for rel, meta in sorted(recorded.items()):
        _check_recorded(folder, rel, meta)
    present = sorted(
        rel
        for p in folder.rglob("*")
        # Hidden paths are local state (caches, editor files), never part of the dataset; nor is
        # what a desktop leaves in a folder (Thumbs.db).
        if p.is_file()
        and not (rel := p.relative_to(folder).as_posix()).startswith(".")
        and "/." not in rel
        and not is_junk(rel)
    )
    from ecinstruct.build import BUILD_FILES

    strays = [rel for rel in present if rel not in recorded and rel not in BUILD_FILES]
    if strays:
        raise UserError(
            f"{folder / strays[0]} was not written by this build; {len(strays)} such file(s): "
            "move them out of the folder, which must hold the build alone"
        )
    uploads = [Upload(rel, (folder / rel).stat().st_size, rel in recorded) for rel in present]
    return manifest, uploads


# A git ref name the Hub takes (git check-ref-format): no spaces or control characters, none
# of ~^:?*[\, no "..", "@{" or "//", no part starting with "." or ending in ".lock", not
# starting with "-" or "/", not ending with "/" or ".", and not "@" alone.
_REF = re.compile(
    r"(?!.*(?:\.\.|@\{|//|/\.|\.lock(?:/|$)|[./]$))(?![./-])(?!@$)[^\x00-\x20\x7f~^:?*\[\\]+"
)


def _check_names(repo_id: str, revision: str | None, tag: str | None) -> None:
    """One line for a repo id, branch or tag the Hub would refuse, before any work."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise UserError(f"--repo-id must look like NAMESPACE/NAME, got {repo_id!r}")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as e:
        reason = str(e).splitlines()[0]
        raise UserError(f"--repo-id {repo_id!r} is not a valid Hub repo id: {reason}") from None
    for flag, name in (("--revision", revision), ("--tag", tag)):
        if name is not None and not _REF.fullmatch(name):
            raise UserError(
                f"{flag} {name!r} is not a valid branch or tag name (no spaces, none of "
                "~^:?*[\\, no '..', '@{' or '//', no part starting with '.' or ending in "
                "'.lock', not starting with '-' or '/', not ending with '/' or '.')"
            )


def _check_recorded(folder: Path, rel: str, meta: dict) -> None:
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts:
        raise UserError(f"build.json names a file outside the folder: {rel}")
    path = folder / rel
    if not path.is_file():
        raise UserError(f"{folder} is not a complete build: {rel} is missing")
    if path.stat().st_size != meta.get("bytes") or sha256_file(path) != meta.get("sha256"):
        raise UserError(
            f"{path} does not match the hash recorded at build time (changed after the build?); "
            "rebuild the folder instead of editing it"
        )


def build_hash(manifest: dict) -> str:
    """A short content hash of the data files: the same build always gets the same one."""
    h = hashlib.sha256()
    for rel, meta in sorted(manifest["files"].items()):
        h.update(f"{rel}\0{meta['sha256']}\n".encode())
    return h.hexdigest()[:12]


def commit_message(manifest: dict) -> tuple[str, str]:
    """Summary and description of the publishing commit."""
    built = {
        t: r for t, r in manifest.get("tasks", {}).items() if sum(r.get("counts", {}).values())
    }
    samples = sum(sum(r["counts"].values()) for r in built.values())
    summary = f"ECInstruct build {build_hash(manifest)}: {samples:,} samples, {len(built)} tasks"
    lines = [
        f"ecinstruct {manifest.get('ecinstruct_version', '?')}; quality gate passed.",
        f"Built with: {manifest.get('command', '?')}",
        "",
        *(
            f"- {t}: " + ", ".join(f"{s} {n}" for s, n in r["counts"].items())
            for t, r in built.items()
        ),
    ]
    return summary, "\n".join(lines)


def publish(
    folder: Path,
    repo_id: str,
    *,
    revision: str | None = None,
    tag: str | None = None,
    private: bool = False,
    dry_run: bool = False,
) -> dict:
    """Upload a checked build folder to the dataset repo `repo_id` in one commit.

    Returns what was (or, with dry_run, would be) published: repo, revision, files, message and,
    after a real upload, the commit id and URL.
    """
    _check_names(repo_id, revision, tag)
    manifest, uploads = check_folder(Path(folder))
    summary, description = commit_message(manifest)
    result = {
        "repo_id": repo_id,
        "revision": revision or "main",
        "tag": tag,
        "files": [u.__dict__ for u in uploads],
        "commit_message": summary,
    }
    if dry_run:
        _print_plan(result, uploads)
        return result
    from huggingface_hub import constants

    try:
        result |= _upload(
            Path(folder), repo_id, uploads, summary, description, revision, tag, private
        )
    except UserError:
        raise
    except Exception as e:  # every Hub/network failure becomes one line, never a traceback
        raise _one_line(e, repo_id, revision, constants.ENDPOINT) from None
    what = (
        f"published {len(uploads)} files to"
        if result["changed"]
        else "nothing changed: already published at"
    )
    console.print(
        f"{what} {result['url']} ({result['revision']} @ {result['commit'][:12]})"
        + (f", tagged {tag}" if tag else ""),
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    return result


def _upload(
    folder: Path,
    repo_id: str,
    uploads: list[Upload],
    summary: str,
    description: str,
    revision: str | None,
    tag: str | None,
    private: bool,
) -> dict:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token

    if get_token() is None:
        raise UserError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = HfApi()
    api.whoami()  # a bad token fails here, before anything is created
    signals.leaves("no commit was pushed")
    repo_url = api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
    if private and not api.repo_info(repo_id, repo_type=REPO_TYPE).private:
        console.print(
            f"note: {repo_id} already exists and is public; --private only applies to new repos",
            soft_wrap=True,
        )
    branch = revision or "main"
    if revision or tag:
        refs = api.list_repo_refs(repo_id, repo_type=REPO_TYPE)
        # Checked before uploading: a taken tag must not leave an untagged commit behind.
        if tag and tag in {t.name for t in refs.tags}:
            raise UserError(f"tag {tag!r} already exists in {repo_id}; choose another --tag")
        if revision and revision not in {b.name for b in refs.branches}:
            api.create_branch(repo_id, branch=revision, repo_type=REPO_TYPE)
    head = api.repo_info(repo_id, repo_type=REPO_TYPE, revision=branch).sha
    names = {u.path for u in uploads}
    # Data files of an earlier build that this one lacks would leak into the `all` config's
    # globs, so the commit removes them; files outside data/ are left to the repo's owner.
    stale = [
        p
        for p in api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=branch)
        if p.startswith("data/") and p not in names
    ]
    ops = [CommitOperationDelete(path_in_repo=p) for p in stale] + [
        CommitOperationAdd(path_in_repo=u.path, path_or_fileobj=str(folder / u.path))
        for u in uploads
    ]
    # One create_commit (not upload_folder, which may split a large folder into several);
    # parent_commit makes the Hub refuse it if someone pushed since the listing above.
    info = api.create_commit(
        repo_id,
        ops,
        commit_message=summary,
        commit_description=description,
        repo_type=REPO_TYPE,
        revision=branch,
        parent_commit=head,
    )
    signals.finished(f"commit {info.oid[:12]} was pushed to {repo_id} ({branch})")
    if tag:
        api.create_tag(
            repo_id, tag=tag, revision=info.oid, repo_type=REPO_TYPE, tag_message=summary
        )
    return {
        "url": str(repo_url),
        "revision": branch,
        "commit": info.oid,
        "commit_url": info.commit_url,
        "deleted": stale,
        # huggingface_hub skips a commit that would change nothing and returns the head.
        "changed": info.oid != head,
    }


def _print_plan(result: dict, uploads: list[Upload]) -> None:
    width = max(len(u.path) for u in uploads)
    target = f"{result['repo_id']} ({result['revision']}" + (
        f", tag {result['tag']})" if result["tag"] else ")"
    )
    lines = [f"dry run: would upload {len(uploads)} files to {target}"]
    for u in uploads:
        mark = "sha256 ok" if u.verified else ""
        lines.append(f"  {u.path:<{width}}  {u.bytes:>12,} B  {mark}".rstrip())
    lines.append(f"  total {sum(u.bytes for u in uploads):,} bytes")
    lines.append(f"commit message: {result['commit_message']}")
    console.print("\n".join(lines), highlight=False, soft_wrap=True, markup=False)


def _one_line(e: Exception, repo_id: str, revision: str | None, endpoint: str) -> UserError:
    from huggingface_hub.errors import (
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    # LFS uploads wrap the real failure in a RuntimeError; report the cause.
    while isinstance(e, RuntimeError) and isinstance(e.__cause__, Exception):
        e = e.__cause__
    if isinstance(e, OfflineModeIsEnabled):
        return UserError("HF_HUB_OFFLINE is set: publishing needs the Hub; unset it to publish")
    if _is_connection_error(e):
        return UserError(
            f"cannot reach the Hub at {endpoint} ({type(e).__name__}); "
            "check the network, or HF_ENDPOINT if you use a mirror"
        )
    if isinstance(e, RevisionNotFoundError):
        return UserError(f"revision {revision!r} not found in {repo_id} (404)")
    if isinstance(e, RepositoryNotFoundError):
        return UserError(
            f"repository {repo_id} not found at {endpoint} (404), or the token cannot see it"
        )
    if isinstance(e, HfHubHTTPError):
        status = e.response.status_code
        said = _first_line(e.server_message or str(e))
        if status == 401:
            return UserError(
                "the Hub rejected the token (401): set a valid HF_TOKEN or run `hf auth login`"
            )
        if status == 403:
            return UserError(f"the token may not write to {repo_id} (403 Forbidden): {said}")
        if status == 404:
            return UserError(f"not found (404): {said}")
        if status in (409, 412):
            return UserError(
                f"conflict on {repo_id} ({status}): {said}; retry or pick another --revision/--tag"
            )
        return UserError(f"the Hub answered {status}: {said}")
    if isinstance(e, ValueError) and "README.md" in str(e):
        return UserError(f"the Hub rejected the dataset card: {_first_line(str(e), 2)}")
    return UserError(f"publishing failed: {type(e).__name__}: {_first_line(str(e))}")


def _is_connection_error(e: BaseException) -> bool:
    # By class name so this holds whichever HTTP client huggingface_hub ships with
    # (requests, httpx, httpx2): their transport errors share these names.
    names = {c.__name__ for c in type(e).__mro__}
    return bool(names & {"TransportError", "ConnectionError", "ConnectError", "TimeoutException"})


def _first_line(text: str, n: int = 1) -> str:
    lines = [line.strip(" -") for line in str(text).splitlines() if line.strip()]
    return " ".join(lines[:n]) or "no details"
