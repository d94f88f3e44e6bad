"""Errors a user can cause, each with its documented exit code (see README, "Exit codes")."""

from __future__ import annotations


class RegcliError(Exception):
    """Base class: a one-line message and the process exit code."""

    exit_code = 70


class CheckFailed(RegcliError):
    """A requested check (--min-r2, --max-nonzero, ...) failed."""

    exit_code = 1


class UsageError(RegcliError):
    """A bad option or option value."""

    exit_code = 2


class DataError(RegcliError):
    """The data cannot be used: non-numeric target, missing values, empty table, ..."""

    exit_code = 65


class InputError(RegcliError):
    """An input file is missing or unreadable."""

    exit_code = 66


class OutputError(RegcliError):
    """Output could not be written (disk full, permission denied, closed pipe end)."""

    exit_code = 74


class Interrupted(BaseException):
    """Raised by the signal handlers (SIGINT, SIGTERM) so that cleanup code runs.

    A BaseException but not a KeyboardInterrupt, so no library turns it into an exit code.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class ServiceError(RegcliError):
    """A service regcli was told to use (a Dask scheduler) cannot be reached."""

    exit_code = 69
