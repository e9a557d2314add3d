"""Storage: local files and S3 behind one interface, manifests, and crash-safe publishing."""

from octopack_spark.storage.fs import Storage, StorageError, is_s3, join, to_s3, to_s3a

__all__ = ["Storage", "StorageError", "is_s3", "join", "to_s3", "to_s3a"]
