"""Errors for datasets on disk that are missing or malformed.

``tools/train.py`` catches :class:`DataError` and prints its message (which names the file
and the preparation command) instead of a stack trace. The subclasses keep the built-in
types that callers already catch (``FileNotFoundError``, ``ValueError``).
"""


class DataError(Exception):
    """A dataset on disk is missing, incomplete or malformed; the message says what to do."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A dataset root, split, directory or file does not exist."""


class DataFormatError(DataError, ValueError):
    """A dataset file exists but its name, content or size is not what the layout requires."""
