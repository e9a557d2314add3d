"""Exceptions shared across the package."""


class UserFacingError(Exception):
    """Bad input (config, paths, data versions, unreachable storage): the CLI prints the message as
    one clear line and exits with code 2, without a traceback."""
