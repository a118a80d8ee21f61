"""Errors for datasets on disk that are missing or malformed.

``tools/train.py`` and ``tools/test.py`` catch :class:`DataError` and print its message (which
names the file and the fix) instead of a stack trace, also when a dataloader worker raised it.
The subclasses keep the built-in types that callers already catch (``FileNotFoundError``,
``ValueError``, ``OSError``).
"""


class DataError(Exception):
    """A dataset on disk is missing, incomplete or malformed; the message says what to do."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A dataset root, split, directory or file does not exist."""


class DataFormatError(DataError, ValueError):
    """A dataset file exists but its name, content or size is not what the layout requires."""


class DataCorruptError(DataFormatError, OSError):
    """A dataset file exists but cannot be read: empty, truncated or not decodable."""
