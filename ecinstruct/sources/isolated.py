"""The child process of `load_isolated`: `python -m ecinstruct.sources.isolated FOLDER`.

Reads the job (specs, progress) that the parent pickled into FOLDER, writes the canonical
tables there (see `load_into`) and pickles the outcome: ("ok", (kinds, provenance)) or
("error", the UserError). Any other failure prints its traceback and leaves no outcome, which
the parent reports.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ecinstruct.ending import end
from ecinstruct.parallel import answer, job_of
from ecinstruct.sources import load_into


def main(folder: Path) -> None:
    specs, progress = job_of(folder)
    answer(folder, lambda: load_into(specs, folder, progress))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    # The tables are in their files and the outcome is written: the parent waits for this
    # process to end before it goes on, and two gigabytes need not be freed one by one.
    end(0)
