"""Errors of the analyst query layer. All are UserFacingError: the CLI prints one line, no traceback."""

from __future__ import annotations

from octopack_spark.errors import UserFacingError


class DatasetError(UserFacingError):
    """A dataset cannot be read as its manifest describes it (missing/corrupt manifest, missing file)."""


class TableNameError(UserFacingError):
    """A query names a table that is ambiguous across datasets."""


class QueryError(UserFacingError):
    """The engine rejected or failed to run the query (syntax, unknown column, ...)."""


class ReportError(UserFacingError):
    """An unknown report, a bad report parameter or an unreadable reports file."""
