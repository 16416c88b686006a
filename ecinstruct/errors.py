"""User-facing errors: the CLI prints the message on one line and exits with code 2."""


class UserError(Exception):
    """A problem with the user's input (config, files, flags) — never a bug in ECInstruct."""

    exit_code = 2


def first_line(exc: BaseException) -> str:
    """An exception's message, first line only (its type's name when it has none): a library's
    error told in one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
