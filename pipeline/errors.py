"""One short hierarchy; each class maps to how the edge reports it."""

from __future__ import annotations


class PrescreenError(Exception):
    """Base of every error prescreen raises on purpose."""

    exit_code = 1


class InputError(PrescreenError):
    """The packet itself is unusable (bad manifest, path escaping the packet): exit 2."""

    exit_code = 2


class UnreadableFileError(PrescreenError):
    """One uploaded file cannot be read; becomes an ``UNREADABLE_FILE`` finding, not a crash."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class BadPageError(UnreadableFileError):
    """One page of a file is damaged, or built past the limits (a page a million points wide, a
    gigapixel image inside): an ``UNREADABLE_FILE`` finding on that page, not a screening fault."""


class EngineError(PrescreenError):
    """An OCR or model engine failed or is not installed."""


class StorageError(PrescreenError):
    """The object store failed; transient ones are retried by the caller."""


class RulesError(InputError):
    """A rules file does not validate."""


class ConfigError(PrescreenError):
    """The configuration or the database is not fit to run with (a weak key, a placeholder
    password in production, a database that needs ``prescreen db upgrade``): exit 3."""

    exit_code = 3
