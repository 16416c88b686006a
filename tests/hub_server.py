"""A small in-memory Hugging Face Hub on loopback, for testing publish and load-back offline.

It speaks just enough of the Hub HTTP protocol for `huggingface_hub` (create_repo,
create_branch, create_tag, create_commit over the legacy LFS path, repo_info, list_repo_tree,
get_paths_info, list_repo_refs, list_repo_commits, hf_hub_download, HfFileSystem) and for
`datasets.load_dataset("ns/name", config)`. Dataset repositories only; no Xet (run clients
with HF_HUB_DISABLE_XET=1), no pull requests, no pagination (one page), no gating.

Endpoints:
    GET  /api/whoami-v2                                   token owner (401 without a valid token)
    GET  /api/agent-harnesses                             an empty registry (client telemetry)
    POST /api/repos/create                                {name, organization, type, visibility}
    POST /api/validate-yaml                               YAML front matter must parse
    GET  /api/datasets/{ns}/{name}[/revision/{rev}]      repo info with siblings
    GET  /api/datasets/{ns}/{name}/refs                   branches and tags
    GET  /api/datasets/{ns}/{name}/commits/{rev}          history, newest first
    GET  /api/datasets/{ns}/{name}/tree/{rev}[/{path}]    ?recursive= &expand=
    POST /api/datasets/{ns}/{name}/paths-info/{rev}       form: paths=..., expand=
    POST /api/datasets/{ns}/{name}/preupload/{rev}        upload mode per file
    POST /api/datasets/{ns}/{name}/commit/{rev}           NDJSON: header, file, lfsFile,
                                                          deletedFile, deletedFolder
    POST /api/datasets/{ns}/{name}/branch/{branch}        {startingPoint}
    POST /api/datasets/{ns}/{name}/tag/{rev}              {tag, message}
    POST /datasets/{ns}/{name}.git/info/lfs/objects/batch LFS batch (basic transfer)
    PUT  /lfs-upload/{oid}?sig=...                        the upload URL the batch hands out
    GET|HEAD /datasets/{ns}/{name}/resolve/{rev}/{path}   file bytes (Range supported) with ETag,
                                                          X-Repo-Commit, Content-Length and, for
                                                          LFS files, X-Linked-Etag/X-Linked-Size

Writes need `Authorization: Bearer <token>` for a known write token whose user owns the
namespace (401 / 403 otherwise). Private repos are invisible (404) to anyone else. Anything
else answers 404 naming the request, and is recorded in `HubServer.unknown` so a test can
see what a client asked for that this server does not implement. Bodies are capped at
MAX_BODY bytes and stored content at MAX_STORED bytes, so a runaway client cannot exhaust
the machine.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

MAX_BODY = 64 << 20
MAX_STORED = 512 << 20
LFS_PATTERNS = ("*.parquet", "*.arrow", "*.bin", "*.gz", "*.zst", "*.zip")
LFS_SIZE = 10 << 20  # the Hub sends files this big to LFS whatever their name
GITATTRIBUTES = "".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS)

API = re.compile(
    r"^/api/datasets/(?P<ns>[^/]+)/(?P<name>[^/]+)"
    r"(?:/(?P<op>revision|refs|commits|tree|paths-info|preupload|commit|branch|tag)"
    r"(?:/(?P<rev>[^/]+))?(?:/(?P<rest>.+))?)?$"
)
RESOLVE = re.compile(
    r"^/datasets/(?P<ns>[^/]+)/(?P<name>[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$"
)
LFS_BATCH = re.compile(r"^/datasets/(?P<ns>[^/]+)/(?P<name>[^/]+)\.git/info/lfs/objects/batch$")


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()
    )


@dataclass(frozen=True)
class Blob:
    size: int
    oid: str  # git blob id (of the pointer, for LFS files)
    sha256: str | None = None  # set for LFS files; content lives in the LFS store
    data: bytes | None = None  # set for regular files
    commit: str = ""  # the commit that last wrote this path


@dataclass
class Commit:
    oid: str
    parent: str | None
    title: str
    message: str
    author: str
    date: str
    files: dict[str, Blob]


@dataclass
class Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)

    def resolve(self, rev: str) -> Commit:
        oid = self.branches.get(rev) or self.tags.get(rev) or (rev if rev in self.commits else None)
        if oid is None:
            raise HubError(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        return self.commits[oid]


class HubState:
    def __init__(self, tokens: dict[str, dict]):
        self.tokens = tokens  # token -> {"name": user, "role": "write"|"read", "orgs": [...]}
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.stored = 0
        self.secret = secrets.token_hex(8)
        self.lock = threading.Lock()

    def store(self, n: int) -> None:
        if self.stored + n > MAX_STORED:
            raise HubError(507, "test hub storage limit reached")
        self.stored += n

    def commit(
        self, repo: Repo, branch: str, files: dict[str, Blob], title: str, desc: str, who: str
    ) -> Commit:
        parent = repo.branches.get(branch)
        oid = hashlib.sha1(
            f"{parent}|{title}|{len(repo.commits)}|{sorted(files)}".encode()
        ).hexdigest()
        files = {
            p: b if b.commit else Blob(b.size, b.oid, b.sha256, b.data, oid)
            for p, b in files.items()
        }
        date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        commit = Commit(oid, parent, title, desc, who, date, files)
        repo.commits[oid] = commit
        repo.branches[branch] = oid
        return commit


def _entries(repo: Repo, commit: Commit, prefix: str, recursive: bool, expand: bool) -> list[dict]:
    """Tree entries below `prefix` (a folder path, "" for the root), folders before files."""
    base = f"{prefix}/" if prefix else ""
    dirs: set[str] = set()
    files = []
    for path in sorted(commit.files):
        if not path.startswith(base):
            continue
        parts = path[len(base) :].split("/")
        for i in range(1, len(parts) if recursive else min(2, len(parts))):
            dirs.add(base + "/".join(parts[:i]))
        if recursive or len(parts) == 1:
            files.append(_file_entry(repo, commit, path, expand))
    if prefix and not dirs and not files:
        raise HubError(404, f"{prefix} does not exist on {commit.oid}", "EntryNotFound")
    return [_dir_entry(commit, d) for d in sorted(dirs)] + files


def _dir_entry(commit: Commit, path: str) -> dict:
    inside = sorted(f"{p}:{b.oid}" for p, b in commit.files.items() if p.startswith(path + "/"))
    return {
        "type": "directory",
        "oid": hashlib.sha1("\n".join(inside).encode()).hexdigest(),
        "size": 0,
        "path": path,
    }


def _file_entry(repo: Repo, commit: Commit, path: str, expand: bool) -> dict:
    blob = commit.files[path]
    out: dict = {"type": "file", "oid": blob.oid, "size": blob.size, "path": path}
    if blob.sha256:
        pointer = len(lfs_pointer(blob.sha256, blob.size))
        out["lfs"] = {"oid": blob.sha256, "size": blob.size, "pointerSize": pointer}
    if expand:
        last = repo.commits[blob.commit]
        out["lastCommit"] = {"id": last.oid, "title": last.title, "date": last.date}
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects; every reply sets a length
    timeout = 30  # seconds a silent connection may hold a thread
    server: HubServer

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass  # requests are recorded in HubServer.requests instead of printed

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        self.server.requests.append((self.command, url.path))
        try:
            body = self._read_body()
            with self.server.state.lock:
                status, payload, headers = self._route(url.path, body)
        except HubError as e:
            status, headers = e.status, {"X-Error-Message": e.message}
            if e.code:
                headers["X-Error-Code"] = e.code
            payload = {"error": e.message}
        except (ValueError, KeyError, TypeError) as e:
            status, headers, payload = 400, {}, {"error": f"bad request: {e}"}
        self._send(status, payload, headers)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, total = [], 0
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                total += size
                if total > MAX_BODY:
                    raise HubError(413, "request body too large for the test hub")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise HubError(413, "request body too large for the test hub")
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload, headers: dict) -> None:
        if isinstance(payload, bytes | bytearray):
            data = bytes(payload)
        else:
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(headers.get("Content-Length", len(data))))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _user(self, write: bool, namespace: str | None = None) -> str | None:
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        info = self.server.state.tokens.get(token) if token else None
        if token and info is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        if not write:
            return info["name"] if info else None
        if info is None:
            raise HubError(401, "You must be authenticated to write")
        if info.get("role") != "write" or (
            namespace is not None and namespace not in (info["name"], *info.get("orgs", []))
        ):
            raise HubError(403, f"You don't have the rights to write to {namespace}")
        return info["name"]

    def _repo(self, repo_id: str, write: bool = False) -> tuple[Repo, str | None]:
        user = self._user(write, repo_id.split("/")[0])
        repo = self.server.state.repos.get(repo_id)
        if repo is None or (repo.private and (user is None or user != repo_id.split("/")[0])):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo, user

    def _url(self) -> str:
        return f"http://{self.headers.get('Host')}"

    # -- routes ------------------------------------------------------------------------------
    def _route(self, path: str, body: bytes) -> tuple[int, object, dict]:
        m = self.command, path
        if m == ("GET", "/api/whoami-v2"):
            user = self._user(write=False)
            if user is None:
                raise HubError(401, "Invalid credentials in Authorization header")
            return (
                200,
                {"type": "user", "name": user, "orgs": [], "auth": {"type": "access_token"}},
                {},
            )
        if m == ("GET", "/api/agent-harnesses"):
            return 200, {"standardEnvVars": [], "harnesses": {}}, {}
        if m == ("POST", "/api/repos/create"):
            return self._create_repo(json.loads(body))
        if m == ("POST", "/api/validate-yaml"):
            return self._validate_yaml(json.loads(body)["content"])
        if self.command == "PUT" and path.startswith("/lfs-upload/"):
            return self._lfs_upload(path.rsplit("/", 1)[1], body)
        if self.command == "POST" and (b := LFS_BATCH.match(path)):
            return self._lfs_batch(f"{b['ns']}/{b['name']}", json.loads(body))
        if self.command in ("GET", "HEAD") and (r := RESOLVE.match(path)):
            return self._resolve(f"{r['ns']}/{r['name']}", unquote(r["rev"]), unquote(r["path"]))
        if a := API.match(path):
            return self._api(a, body)
        self.server.unknown.append(f"{self.command} {path}")
        raise HubError(404, f"not implemented by the test hub: {self.command} {path}")

    def _api(self, a: re.Match, body: bytes) -> tuple[int, object, dict]:
        repo_id, op = f"{a['ns']}/{a['name']}", a["op"]
        rev = unquote(a["rev"]) if a["rev"] else "main"
        rest = unquote(a["rest"] or "").strip("/")
        writes = {"preupload", "commit", "branch", "tag"}
        if self.command != ("POST" if op in writes | {"paths-info"} else "GET") or (
            op in (None, "refs") and a["rev"]
        ):
            self.server.unknown.append(f"{self.command} {a.string}")
            raise HubError(404, f"not implemented by the test hub: {self.command} {a.string}")
        repo, user = self._repo(repo_id, write=op in writes)
        if op in (None, "revision"):
            return 200, self._info(repo, repo.resolve(rev)), {}
        if op == "refs":
            refs = lambda kind, d: [  # noqa: E731
                {"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": o}
                for n, o in sorted(d.items())
            ]
            return (
                200,
                {
                    "branches": refs("heads", repo.branches),
                    "converts": [],
                    "tags": refs("tags", repo.tags),
                },
                {},
            )
        if op == "commits":
            out, commit = [], repo.resolve(rev)
            while commit:
                out.append(
                    {
                        "id": commit.oid,
                        "title": commit.title,
                        "message": commit.message,
                        "authors": [{"user": commit.author}],
                        "date": commit.date,
                    }
                )
                commit = repo.commits.get(commit.parent) if commit.parent else None
            return 200, out, {}
        if op == "tree":
            flag = lambda k: self.query.get(k, ["false"])[0].lower() in ("1", "true")  # noqa: E731
            return (
                200,
                _entries(repo, repo.resolve(rev), rest, flag("recursive"), flag("expand")),
                {},
            )
        if op == "paths-info":
            form = parse_qs(body.decode())
            commit, expand = repo.resolve(rev), form.get("expand", ["false"])[0].lower() == "true"
            out = []
            for p in form.get("paths", []):
                p = p.strip("/")
                if p in commit.files:
                    out.append(_file_entry(repo, commit, p, expand))
                elif any(f.startswith(p + "/") for f in commit.files):
                    out.append(_dir_entry(commit, p))
            return 200, out, {}
        if op == "preupload":
            return self._preupload(repo, rev, json.loads(body))
        if op == "commit":
            return self._commit(repo, rev, body, user)
        if op == "branch":
            if rev in repo.branches:
                raise HubError(409, f"Branch {rev} already exists")
            start = json.loads(body or b"{}").get("startingPoint") or "main"
            repo.branches[rev] = repo.resolve(start).oid
            return 200, {}, {}
        if op == "tag":
            tag = json.loads(body)["tag"]
            if tag in repo.tags:
                raise HubError(409, f"Tag {tag} already exists")
            repo.tags[tag] = repo.resolve(rev).oid
            return 200, {}, {}
        raise AssertionError(op)

    def _create_repo(self, req: dict) -> tuple[int, object, dict]:
        if req.get("type") != "dataset":
            raise HubError(400, "this test hub only hosts dataset repos")
        user = self._user(write=True, namespace=req.get("organization"))
        repo_id = f"{req.get('organization') or user}/{req['name']}"
        url = f"{self._url()}/datasets/{repo_id}"
        state = self.server.state
        if repo_id in state.repos:
            return 409, {"error": "You already created this dataset repo", "url": url}, {}
        repo = Repo(repo_id, private=req.get("visibility") == "private" or bool(req.get("private")))
        data = GITATTRIBUTES.encode()
        blob = Blob(len(data), git_blob_oid(data), data=data)
        state.commit(repo, "main", {".gitattributes": blob}, "initial commit", "", user)
        state.repos[repo_id] = repo
        return 200, {"url": url, "name": repo_id}, {}

    def _validate_yaml(self, content: str) -> tuple[int, object, dict]:
        import yaml

        m = re.match(r"^---\n(.*?)\n---\n", content, re.S)
        try:
            meta = yaml.safe_load(m.group(1)) if m else {}
        except yaml.YAMLError as e:
            return 400, {"errors": [{"message": f"invalid YAML: {e}"}], "warnings": []}, {}
        warnings = [] if meta else [{"message": "empty or missing yaml metadata in repo card"}]
        return 200, {"errors": [], "warnings": warnings}, {}

    def _info(self, repo: Repo, commit: Commit) -> dict:
        siblings = [
            {"rfilename": p, "size": b.size, "blobId": b.oid}
            | (
                {
                    "lfs": {
                        "sha256": b.sha256,
                        "size": b.size,
                        "pointerSize": len(lfs_pointer(b.sha256, b.size)),
                    }
                }
                if b.sha256
                else {}
            )
            for p, b in sorted(commit.files.items())
        ]
        return {
            "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit.oid,
            "lastModified": commit.date,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "tags": [],
            "siblings": siblings,
        }

    def _branch(self, repo: Repo, rev: str) -> Commit:
        if rev not in repo.branches:
            raise HubError(404, f"Invalid rev id: {rev} is not a branch", "RevisionNotFound")
        return repo.commits[repo.branches[rev]]

    def _preupload(self, repo: Repo, rev: str, req: dict) -> tuple[int, object, dict]:
        head = self._branch(repo, rev)
        files = []
        for f in req["files"]:
            sample = base64.b64decode(f["sample"])
            lfs = (
                f["size"] >= LFS_SIZE
                or b"\0" in sample
                or any(fnmatch.fnmatch(f["path"].rsplit("/", 1)[-1], p) for p in LFS_PATTERNS)
            )
            old = head.files.get(f["path"])
            files.append(
                {
                    "path": f["path"],
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": (old.sha256 or old.oid) if old else None,
                }
            )
        return 200, {"files": files, "commitOid": head.oid}, {}

    def _lfs_batch(self, repo_id: str, req: dict) -> tuple[int, object, dict]:
        self._repo(repo_id, write=True)
        objects = []
        for obj in req["objects"]:
            oid, size = obj["oid"], int(obj["size"])
            entry: dict = {"oid": oid, "size": size}
            if oid not in self.server.state.lfs:
                sig = hmac_sig(self.server.state.secret, oid, size)
                href = f"{self._url()}/lfs-upload/{oid}?size={size}&sig={sig}"
                entry["actions"] = {"upload": {"href": href, "expires_in": 3600}}
            objects.append(entry)
        return (
            200,
            {"transfer": "basic", "objects": objects},
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _lfs_upload(self, oid: str, body: bytes) -> tuple[int, object, dict]:
        state = self.server.state
        size = int(self.query.get("size", ["-1"])[0])
        if self.query.get("sig", [""])[0] != hmac_sig(state.secret, oid, size):
            raise HubError(403, "bad upload signature")
        if len(body) != size or hashlib.sha256(body).hexdigest() != oid:
            raise HubError(400, "uploaded content does not match its oid/size")
        if oid not in state.lfs:
            state.store(len(body))
            state.lfs[oid] = body
        return 200, b"", {"ETag": f'"{oid}"'}

    def _commit(self, repo: Repo, rev: str, body: bytes, user: str) -> tuple[int, object, dict]:
        head = self._branch(repo, rev)
        files = dict(head.files)
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0]["key"] != "header":
            raise HubError(400, "commit payload must start with a header line")
        header = lines[0]["value"]
        if header.get("parentCommit") and header["parentCommit"] != head.oid:
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        for line in lines[1:]:
            key, v = line["key"], line["value"]
            path = v["path"].strip("/")
            if key == "file":
                data = base64.b64decode(v["content"])
                self.server.state.store(len(data))
                files[path] = Blob(len(data), git_blob_oid(data), data=data)
            elif key == "lfsFile":
                content = self.server.state.lfs.get(v["oid"])
                if content is None:
                    raise HubError(422, f"LFS object {v['oid']} for {path} was never uploaded")
                ptr = lfs_pointer(v["oid"], len(content))
                files[path] = Blob(len(content), git_blob_oid(ptr), sha256=v["oid"])
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HubError(
                        404, f"A file with this name doesn't exist: {path}", "EntryNotFound"
                    )
            elif key == "deletedFolder":
                for p in [p for p in files if p.startswith(path + "/")]:
                    del files[p]
            else:
                raise HubError(400, f"unknown commit operation {key}")
        commit = self.server.state.commit(
            repo, rev, files, header["summary"], header.get("description", ""), user
        )
        url = f"{self._url()}/datasets/{repo.repo_id}/commit/{commit.oid}"
        return 200, {"commitUrl": url, "commitOid": commit.oid, "pullRequestUrl": None}, {}

    def _resolve(self, repo_id: str, rev: str, path: str) -> tuple[int, object, dict]:
        repo, _ = self._repo(repo_id)
        commit = repo.resolve(rev)
        blob = commit.files.get(path)
        if blob is None:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        data = self.server.state.lfs[blob.sha256] if blob.sha256 else blob.data
        assert data is not None
        headers = {
            "ETag": f'"{blob.sha256 or blob.oid}"',
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
        }
        if blob.sha256:
            headers |= {"X-Linked-Etag": f'"{blob.sha256}"', "X-Linked-Size": blob.size}
        rng = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if rng and (rng[1] or rng[2]):
            start = int(rng[1]) if rng[1] else max(0, len(data) - int(rng[2]))
            end = min(int(rng[2]), len(data) - 1) if rng[1] and rng[2] else len(data) - 1
            if start >= len(data):
                return 416, b"", headers | {"Content-Range": f"bytes */{len(data)}"}
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return 206, data[start : end + 1], headers
        return 200, data, headers


def hmac_sig(secret: str, oid: str, size: int) -> str:
    return hashlib.sha256(f"{secret}:{oid}:{size}".encode()).hexdigest()[:32]


class HubServer(ThreadingHTTPServer):
    """`with HubServer(tokens) as hub:` serves on hub.url (127.0.0.1, an ephemeral port)."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, tokens: dict[str, dict] | None = None):
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = HubState(tokens or {})
        self.requests: list[tuple[str, str]] = []
        self.unknown: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def file_url(self, repo_id: str, path: str, rev: str = "main") -> str:
        return f"{self.url}/datasets/{repo_id}/resolve/{quote(rev, safe='')}/{quote(path)}"
