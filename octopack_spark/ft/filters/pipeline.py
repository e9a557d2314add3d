"""All rules in the spec's order, grouped in funnel stages, and the per-row evaluation.

Row rules are evaluated independently ("score, then keep"): a row records every rule it fails
(`drop_reasons`), and its `drop_reason` is the first failure in this order, which is what applying
the rules one after another would report. Four steps need the whole table and run on Spark; they
sit in the order as annotation steps (ft.dedup / ft.decont set their columns, ft.job turns them into
reasons).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from octopack_spark.ft.filters import (
    commitpack_sql,
    content,
    message_rules,
    nl_language,
    postprocess,
    prescrape,
    scrape,
    subject_rules,
    subject_shape,
    token_length,
)
from octopack_spark.ft.filters.base import Rule
from octopack_spark.ft.filters.names import ANNOTATION_STEP_NAMES, RULE_NAMES, all_rule_names

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


@dataclass(frozen=True)
class Stage:
    name: str
    doc: str


STAGES: tuple[Stage, ...] = (
    Stage("sql1", "CommitPack SQL step 1: license, repository languages, message"),
    Stage("sql2", "CommitPack SQL step 2: exact dedup on (commit, subject, message, license, path)"),
    Stage("sql4_5", "CommitPack SQL steps 4-5: single-file in-place modifications"),
    Stage("prescrape", "CommitPack pre-scrape rules"),
    Stage("scrape", "file contents available"),
    Stage("postprocess", "CommitPack post-processing: opt-out"),
    Stage("filters1", "CommitPackFT filters1"),
    Stage("filters2", "CommitPackFT filters2"),
    Stage("nl_language", "natural-language ID"),
    Stage("exact_content_dedup", "exact dedup on (old_contents, new_contents)"),
    Stage("decontamination", "HumanEvalPack decontamination"),
    Stage("near_dedup", "MinHash near-dedup"),
)

_R = Rule
RULES: tuple[Rule, ...] = (
    _R("license_not_allowed", "sql1", commitpack_sql.license_allowlist, "license not in the allowlist"),
    _R("repo_language", "sql1", commitpack_sql.repo_language, "repository has none of the 21 languages"),
    _R("message_length", "sql1", commitpack_sql.message_length, "message not 5 < chars < 10,000"),
    _R("message_blocklist", "sql1", commitpack_sql.message_blocklist, "boilerplate message"),
    _R("message_merge", "sql1", commitpack_sql.message_merge, "message starts with 'merge'"),
    _R("not_inplace_modification", "sql4_5", commitpack_sql.inplace_modification, "add, delete or rename"),
    _R("not_single_file_commit", "sql4_5", commitpack_sql.single_file_commit, "commit modifies != 1 file in place"),
    _R("unknown_extension", "prescrape", prescrape.known_extension, "no language for the file name"),
    _R("update_filename_message", "prescrape", prescrape.update_filename_message, "message is 'Update <file>'"),
    _R("trivial_message", "prescrape", prescrape.trivial_message, "message is 'initial commit'/'please'/'lalala'"),
    _R("contents_missing", "scrape", scrape.contents_missing, "binary, too large, not UTF-8 or absent"),
    _R("optout", "postprocess", postprocess.optout, "only repository owned by an opted-out user"),
    _R("old_too_long", "filters1", content.old_too_long, "old file >= 50,000 chars"),
    _R("new_empty", "filters1", content.new_empty, "new file empty"),
    _R("unchanged", "filters1", content.unchanged, "old == new"),
    _R("subject_hash", "filters1", subject_shape.subject_hash, "'#' in subject"),
    _R("extension_dot", "filters1", subject_shape.extension_dot, "file name without a dot"),
    _R("extension_whitelist", "filters1", subject_shape.extension_whitelist, "extension not whitelisted for its language"),
    _R("filename_in_subject", "filters1", subject_shape.filename_in_subject, "file stem in subject"),
    _R("subject_length", "filters1", subject_shape.subject_length, "subject not 10<chars<1000, 4<words<1000"),
    _R("subject_length_clean", "filters1", subject_shape.subject_length_clean, "cleaned subject too short/long"),
    _R("subject_uppercase", "filters1", subject_shape.subject_uppercase, "subject not capitalised"),
    _R("token_length", "filters1", token_length.token_length, "not 50 <= tokens <= 768"),
    _R("verb_start", "filters1", message_rules.verb_start, "subject does not start with an imperative verb"),
    _R("bad_subject", "filters1", message_rules.bad_subject, "subject is 'update', 'readme', ..."),
    _R("bad_subject_part", "filters1", message_rules.bad_subject_part, "subject has 'merge branch', 'signed-off-by', ..."),
    _R("version_subject", "filters1", message_rules.version_subject, "subject starts with a version"),
    _R("hex_subject", "filters1", message_rules.hex_subject, "subject is a hash"),
    _R("cherry_pick", "filters2", subject_rules.cherry_pick, "'cherry picked from commit'"),
    _R("sha_in_subject", "filters2", subject_rules.sha_in_subject, "40-hex SHA in subject"),
    _R("bump_sample", "filters2", subject_rules.bump_sample, "90% of Bump/Set version/Update version"),
    _R("first_person", "filters2", subject_rules.first_person, "' i ', i've, i'm"),
    _R("thanks", "filters2", subject_rules.thanks, "'thanks to' ... 'for'"),
    _R("code_review", "filters2", subject_rules.code_review, "'code review'"),
    _R("joke_message", "filters2", subject_rules.joke_message, "joke subject"),
    _R("issue_ref", "filters2", subject_rules.issue_ref, "issue/bug/feature number"),
    _R("review_tool_ref", "filters2", subject_rules.review_tool_ref, "'cdpcp' or '//codereview'"),
    _R("wip", "filters2", subject_rules.wip, "work in progress / wip"),
    _R("url", "filters2", subject_rules.url, "URL in subject"),
    _R("leetcode", "filters2", subject_rules.leetcode, "'| leetcode'"),
    _R("few_words", "filters2", subject_rules.few_words, "fewer than 4 words"),
    _R("nl_language", "nl_language", nl_language.nl_language, "subject not in an allowed natural language"),
)

# Steps over the whole table (Spark): reason -> (stage, what sets it).
ANNOTATION_STEPS: dict[str, tuple[str, str]] = {
    "exact_commit_dup": ("sql2", "exact_commit_dup_of"),
    "exact_content_dup": ("exact_content_dedup", "exact_content_dup_of"),
    "decontaminated": ("decontamination", "decont_hit"),
    "near_dup": ("near_dedup", "near_dup_of"),
}

_STAGE_INDEX = {s.name: i for i, s in enumerate(STAGES)}

# names.py holds the same names for the config's validation (a leaf, so config need not import the rules).
if tuple(r.name for r in RULES) != RULE_NAMES or tuple(ANNOTATION_STEPS) != ANNOTATION_STEP_NAMES:
    raise RuntimeError("ft/filters/names.py does not list pipeline.RULES / ANNOTATION_STEPS in order")

__all__ = ["ANNOTATION_STEPS", "RULES", "STAGES", "Stage", "active_rules", "all_rule_names", "evaluate",
           "first_reason", "reason_order", "reason_stage"]


def reason_order() -> list[str]:
    """Every reason in pipeline order (row rules and annotation steps interleaved by stage)."""
    items = [(r.name, r.stage) for r in RULES] + [(k, v[0]) for k, v in ANNOTATION_STEPS.items()]
    # Stable sort by stage keeps the spec's order of rules inside a stage.
    return [name for name, stage in sorted(items, key=lambda x: _STAGE_INDEX[x[1]])]


def reason_stage() -> dict[str, str]:
    d = {r.name: r.stage for r in RULES}
    d.update({k: v[0] for k, v in ANNOTATION_STEPS.items()})
    return d


def active_rules(cfg: "FilterConfig") -> tuple[Rule, ...]:
    off = set(cfg.disabled)
    return tuple(r for r in RULES if r.name not in off)


def evaluate(row: "FtRow", cfg: "FilterConfig", rules: Optional[tuple[Rule, ...]] = None) -> list[str]:
    """Reasons of every active rule the row fails, in pipeline order (empty: passes all row rules)."""
    out = []
    for rule in rules if rules is not None else active_rules(cfg):
        keep, reason = rule(row, cfg)
        if not keep:
            out.append(reason or rule.name)
    return out


def first_reason(reasons: list[str], order: Optional[dict[str, int]] = None) -> Optional[str]:
    """The earliest reason in pipeline order, or None."""
    if not reasons:
        return None
    rank = order or {n: i for i, n in enumerate(reason_order())}
    return min(reasons, key=lambda r: rank.get(r, len(rank)))
