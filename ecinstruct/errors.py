"""User-facing errors: the CLI prints the message on one line and exits with code 2."""


class UserError(Exception):
    """A problem with the user's input (config, files, flags) — never a bug in ECInstruct."""

    exit_code = 2
