"""HumanEvalPack loading for evaluation: a re-export of ``octopack_spark.humanevalpack``, which lives in the
library because ft decontamination reads the same data (the library may not import evaluation)."""

from octopack_spark.humanevalpack import (
    ALL_FIELDS,
    BUNDLED,
    DEFAULT_HUB_NAME,
    DISPLAY_NAME,
    LANGUAGES,
    REQUIRED_FIELDS,
    TASK_PREFIX,
    DataError,
    dataset_hash,
    language_of_task,
    load_humanevalpack,
    load_language,
    normalize_language,
    normalize_row,
    problems_by_id,
    read_jsonl,
    task_number,
)

__all__ = [
    "ALL_FIELDS", "BUNDLED", "DEFAULT_HUB_NAME", "DISPLAY_NAME", "LANGUAGES", "REQUIRED_FIELDS", "TASK_PREFIX",
    "DataError", "dataset_hash", "language_of_task", "load_humanevalpack", "load_language", "normalize_language",
    "normalize_row", "problems_by_id", "read_jsonl", "task_number",
]
