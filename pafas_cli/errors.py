"""One exception type for mistakes a user can fix (bad recipe, missing file, bad image).

The CLI prints these as one red line without a traceback; anything else is a bug and keeps its
traceback. Messages should name the key, file or line to fix.
"""


class PafasError(Exception):
    """A user-facing error: the message alone must tell the user what to change."""
