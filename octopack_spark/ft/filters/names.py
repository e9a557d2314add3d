"""The names of every ft step that can drop a row: the vocabulary of drop reasons and of
``ft.filters.disabled``.

A leaf module (it imports nothing of the package), so ``ft/config.py`` can validate rule names without
importing the rules, which themselves take the config. ``pipeline.RULES`` and ``pipeline.ANNOTATION_STEPS``
must list exactly these names in this order; pipeline.py checks that when it is imported.
"""

from __future__ import annotations

# Row rules, in pipeline order (pipeline.RULES).
RULE_NAMES: tuple[str, ...] = (
    "license_not_allowed", "repo_language", "message_length", "message_blocklist", "message_merge",
    "not_inplace_modification", "not_single_file_commit",
    "unknown_extension", "update_filename_message", "trivial_message",
    "contents_missing",
    "optout",
    "old_too_long", "new_empty", "unchanged", "subject_hash", "extension_dot", "extension_whitelist",
    "filename_in_subject", "subject_length", "subject_length_clean", "subject_uppercase", "token_length",
    "verb_start", "bad_subject", "bad_subject_part", "version_subject", "hex_subject",
    "cherry_pick", "sha_in_subject", "bump_sample", "first_person", "thanks", "code_review", "joke_message",
    "issue_ref", "review_tool_ref", "wip", "url", "leetcode", "few_words",
    "nl_language",
)

# Whole-table steps run on Spark (pipeline.ANNOTATION_STEPS).
ANNOTATION_STEP_NAMES: tuple[str, ...] = ("exact_commit_dup", "exact_content_dup", "decontaminated", "near_dup")


def all_rule_names() -> list[str]:
    return list(RULE_NAMES) + list(ANNOTATION_STEP_NAMES)
