"""The one exception hierarchy of reccb-analytics.

Every error a user can cause (bad input, a missing database, a bad report parameter, a refused
Twilio credential) is a ``ReccbError``; the CLI turns each into a one-line message and the exit
status named by ``exit_code``. Anything else is a bug and keeps its traceback.

* ReccbError                      exit 1
  x InputError                    a whole input file cannot be read (path, line)        exit 3
  x StrictModeError               --strict and some records were rejected                exit 4
  x DatabaseError                 the store cannot be opened, is locked, or is not ours  exit 5
    + DatabaseMissingError        no database, or one with no data                       exit 6
    + DatabaseLockedError         another process holds the write lock past the timeout  exit 7
  x ConfigError                   a bad config file or option value                      exit 2
  x ReportError                   report problems                                        exit 8
    + ReportNotFoundError         no such report                                         exit 8
    + ReportParameterError        unknown, missing or mistyped parameter                 exit 2
    + ReportExecutionError        the notebook raised; .output_path holds the evidence   exit 9
  x TwilioError                   the Twilio API refused or failed                       exit 10
    + TwilioAuthError             401/403: credentials wrong or missing                  exit 11
  x ArchiveError                  archive/delete safety checks                           exit 12
    + PlanTamperedError           a plan file's hash does not match                      exit 13
  x ResourceLimitError            DuckDB ran out of memory or temporary disk space       exit 14
"""

from __future__ import annotations

from pathlib import Path


class ReccbError(Exception):
    """Base of every error reccb-analytics raises on purpose."""

    exit_code = 1


class InputError(ReccbError):
    """A whole input file cannot be read: missing, not text, not UTF-8, truncated, unknown format."""

    exit_code = 3

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(f"{where}{message}")


class StrictModeError(ReccbError):
    """Raised under --strict when records were set aside in `rejects`."""

    exit_code = 4


class DatabaseError(ReccbError):
    """The store cannot be opened or is not a reccb-analytics database."""

    exit_code = 5


class DatabaseMissingError(DatabaseError):
    """The database file does not exist, or holds no data to report on."""

    exit_code = 6


class DatabaseLockedError(DatabaseError):
    """Another process kept the database locked longer than the wait allowed."""

    exit_code = 7


class ConfigError(ReccbError):
    """A configuration file or option value is invalid."""

    exit_code = 2


class ReportError(ReccbError):
    """Base for report problems."""

    exit_code = 8


class ReportNotFoundError(ReportError):
    """No report of that name."""

    exit_code = 8


class ReportParameterError(ReportError):
    """A report parameter is unknown, missing or of the wrong type."""

    exit_code = 2


class ReportExecutionError(ReportError):
    """A report notebook failed while running; ``output_path`` holds the partial notebook."""

    exit_code = 9

    def __init__(self, message: str, output_path: str | Path | None = None):
        self.output_path = str(output_path) if output_path is not None else None
        super().__init__(message)


class TwilioError(ReccbError):
    """The Twilio API (or a compatible server) refused or failed a request."""

    exit_code = 10


class TwilioAuthError(TwilioError):
    """Credentials are missing or were refused (HTTP 401/403)."""

    exit_code = 11


class ArchiveError(ReccbError):
    """An archive or delete step failed a safety check."""

    exit_code = 12


class PlanTamperedError(ArchiveError):
    """A plan file does not match the hash recorded when it was made."""

    exit_code = 13


class ResourceLimitError(ReccbError):
    """DuckDB ran out of memory (RECCB_MEMORY_LIMIT) or of disk for spilling; nothing of the
    file being loaded was kept."""

    exit_code = 14
