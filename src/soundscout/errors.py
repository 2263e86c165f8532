"""One error family for Soundscout: a message, a hint of what to do next, an HTTP status.

Front-ends translate these once: the CLI prints message and hint, the API returns
one JSON error shape with the status code.
"""

from __future__ import annotations


class SoundscoutError(Exception):
    """Base class of every error a user can see."""

    status_code: int = 500
    code: str = "internal_error"
    default_hint: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint

    def to_dict(self) -> dict[str, object]:
        """The JSON error shape shared by every API error."""
        return {"error": {"code": self.code, "message": self.message, "hint": self.hint}}


class ConfigError(SoundscoutError):
    """A configuration value is missing or invalid."""

    status_code = 500
    code = "config_error"
    default_hint = (
        "Fix the value where the message says it comes from (a config file, a SOUNDSCOUT_* "
        "environment variable or an option); then `soundscout config show --sources` lists "
        "every value and its source."
    )


class DecodeError(SoundscoutError):
    """An audio file could not be read or decoded."""

    status_code = 422
    code = "decode_error"


class InvalidQueryError(SoundscoutError):
    """A search request is malformed (bad alpha, k, filter, empty query...)."""

    status_code = 422
    code = "invalid_query"


class NotFoundError(SoundscoutError):
    """A sound id or resource does not exist."""

    status_code = 404
    code = "not_found"


class PayloadTooLargeError(SoundscoutError):
    """An upload exceeds the configured limits."""

    status_code = 413
    code = "payload_too_large"


class UnauthorizedError(SoundscoutError):
    """The API key is missing or wrong."""

    status_code = 401
    code = "unauthorized"
    default_hint = "Send the key in the X-API-Key header (or `Authorization: Bearer <key>`)."


class IndexMismatchError(SoundscoutError):
    """A saved index does not belong to the current encoder or catalog."""

    status_code = 409
    code = "index_mismatch"
    default_hint = "Run `soundscout rebuild` to rebuild the index from the catalog."


class EmptyLibraryError(SoundscoutError):
    """Nothing has been indexed yet."""

    status_code = 409
    code = "empty_library"
    default_hint = "Run `soundscout index PATH` to index a folder of sounds first."


class EncoderUnavailableError(SoundscoutError):
    """An encoder cannot be created: unknown name, missing weights or missing extra."""

    status_code = 503
    code = "encoder_unavailable"


class FileAccessError(SoundscoutError):
    """A file or folder the user named cannot be read or written."""

    status_code = 422
    code = "file_error"
    default_hint = (
        "Check the path: that its folder exists, that a file is not a folder (or the other "
        "way round), and that you may read or write there."
    )

    @classmethod
    def of(cls, exc: OSError, doing: str) -> FileAccessError:
        """The error for ``exc``, raised while ``doing`` ("write the CSV")."""
        where = f": {exc.filename}" if exc.filename else ""
        return cls(f"Cannot {doing}{where}: {exc.strerror or exc}.")


class LibraryError(SoundscoutError):
    """The library directory (catalog and index) cannot be used."""

    status_code = 500
    code = "library_error"
