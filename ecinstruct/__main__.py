"""`python -m ecinstruct`: the command line (see ecinstruct.cli)."""

from ecinstruct.cli import main
from ecinstruct.ending import end

if __name__ == "__main__":
    try:
        main()
    except SystemExit as done:
        end(done.code)
    end(0)
