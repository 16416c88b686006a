"""Load dataset configs from the Hub named by HF_ENDPOINT and dump their rows as JSON.

Run as a separate process: `datasets` and `huggingface_hub` read HF_ENDPOINT at import time.
Usage: python hub_load_back.py SPEC.json OUT.json, where SPEC is
{"repo_id": "ns/name", "jobs": [{"config": "all" | task | null, "revision": null | "v1"}]}.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings


def main(spec_path: str, out_path: str) -> None:
    import datasets

    spec = json.loads(open(spec_path).read())
    captured: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    logging.getLogger("datasets").addHandler(handler)
    logging.getLogger("huggingface_hub").addHandler(handler)
    out = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for job in spec["jobs"]:
            args = [spec["repo_id"]] + ([job["config"]] if job.get("config") else [])
            ds = datasets.load_dataset(*args, revision=job.get("revision"))
            out.append(
                {
                    "job": job,
                    "splits": {name: split.to_list() for name, split in ds.items()},
                    "features": {name: str(split.features) for name, split in ds.items()},
                    "num_bytes": {
                        name: split.info.splits[name].num_bytes for name, split in ds.items()
                    },
                }
            )
    warned = [str(w.message) for w in caught] + captured
    with open(out_path, "w") as f:
        json.dump({"results": out, "warnings": warned}, f)


if __name__ == "__main__":
    main(*sys.argv[1:3])
