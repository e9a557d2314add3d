"""Configuration of the CommitPackFT stage (`octopack ft`): the `ft:` section of the pipeline YAML.

Every threshold of the paper's rules lives here with the paper's value as default, so a run is
reproducible from the config its manifest stores, and `--set ft.filters.max_old_chars=100000` changes
one rule without touching code. Rule names (for `ft.filters.disabled`) are listed by
`octopack ft --list-rules`.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from octopack_spark.ft.decont.config import DecontConfig
from octopack_spark.ft.dedup.config import ExactDedupConfig, MinHashConfig
from octopack_spark.ft.filters.names import all_rule_names
from octopack_spark.ft.filters.words import (
    EXTENSION_WHITELIST,
    MESSAGE_BLOCKLIST,
    OPTOUT_LOGINS,
    REPO_LANGUAGE_PATTERNS,
)
from octopack_spark.licenses import PERMISSIVE_LICENSES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


class FilterConfig(_Model):
    """Thresholds and word lists of the CommitPack SQL / pre-scrape / filters1 / filters2 rules."""

    # Rule names to switch off (their verdict is neither computed into drop_reasons nor applied).
    disabled: list[str] = Field(default_factory=list)

    # --- CommitPack SQL step 1
    licenses: list[str] = Field(default_factory=lambda: list(PERMISSIVE_LICENSES))
    # Repository language list must contain one of these (SQL LIKE patterns: `%` = any suffix).
    repo_languages: list[str] = Field(default_factory=lambda: list(REPO_LANGUAGE_PATTERNS))
    min_message_chars: int = Field(default=5, ge=0)  # exclusive: len(message) > 5
    max_message_chars: int = Field(default=10_000, ge=1)  # exclusive: len(message) < 10000
    message_blocklist: list[str] = Field(default_factory=lambda: list(MESSAGE_BLOCKLIST))

    # --- post-processing: repositories of these GitHub owners are dropped when they are the only repo
    optout_owners: list[str] = Field(default_factory=lambda: list(OPTOUT_LOGINS))

    # --- filters1
    max_old_chars: int = Field(default=50_000, ge=1)  # exclusive: len(old_contents) < 50000
    require_extension_dot: bool = True
    # CommitPack language name -> allowed extensions (with the dot). Languages not listed: any extension.
    extension_whitelist: dict[str, list[str]] = Field(default_factory=lambda: {k: list(v) for k, v in EXTENSION_WHITELIST.items()})
    min_subject_chars: int = Field(default=10, ge=0)  # exclusive
    max_subject_chars: int = Field(default=1000, ge=1)  # exclusive
    min_subject_words: int = Field(default=4, ge=0)  # exclusive
    max_subject_words: int = Field(default=1000, ge=1)  # exclusive
    # Step 11: min_tokens <= tokens(old + separator + new) <= max_tokens (counting: see TokenConfig).
    min_tokens: int = Field(default=50, ge=0)
    max_tokens: int = Field(default=768, ge=1)
    # Added to the paper's 257 verbs (lower case; multi-word entries allowed).
    extra_verbs: list[str] = Field(default_factory=list)

    # --- filters2
    # Fraction of "Bump ..."/"Set version ..."/"Update version ..." subjects dropped. The draw is a hash of
    # (bump_salt, row_id), so the same rows are dropped on every run and machine.
    bump_drop_fraction: float = Field(default=0.9, ge=0.0, le=1.0)
    bump_salt: str = "octopack-bump"
    min_final_words: int = Field(default=4, ge=0)  # inclusive: fewer words are dropped

    # --- natural-language ID (ours; the paper relied on the English verb list)
    # Keep rows whose detected language is one of these (ISO 639 codes as lid.176 writes them); [] = any.
    nl_languages: list[str] = Field(default_factory=lambda: ["en"])
    nl_min_score: float = Field(default=0.0, ge=0.0, le=1.0)
    # Which text the `nl_language` rule judges; both are scored (nl_* and message_nl_* columns).
    nl_text: Literal["subject", "message"] = "subject"

    @field_validator("licenses", "optout_owners", "extra_verbs")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        return [x.strip().lower() for x in v if x.strip()]

    @field_validator("extension_whitelist")
    @classmethod
    def _dots(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for lang, exts in v.items():
            for e in exts:
                if not e.startswith("."):
                    raise ValueError(f"extension_whitelist[{lang!r}]: {e!r} must start with a dot (e.g. '.{e}')")
        return v

    @model_validator(mode="after")
    def _known_rules(self) -> "FilterConfig":
        unknown = sorted(set(self.disabled) - set(all_rule_names()))
        if unknown:
            raise ValueError(f"unknown rule name(s) in disabled: {', '.join(unknown)} "
                             f"(known: {', '.join(all_rule_names())})")
        return self


class TokenConfig(_Model):
    """How filters1 step 11 counts tokens of old + separator + new (thresholds: FilterConfig)."""

    # A Hugging Face tokenizer name (resolved from the local HF cache; no hub here) or a local path:
    # a directory saved with save_pretrained, or a tokenizer.json file.
    tokenizer: str = "bigcode/starcoder"
    # What to do when the tokenizer cannot be loaded: "none" stops the job with a clear message;
    # "chars" counts ceil(chars / chars_per_token) (+1 for the separator) and records that method.
    fallback: Literal["none", "chars"] = "none"
    chars_per_token: float = Field(default=3.5, gt=0)  # rough StarCoder figure on source code
    separator: str = "<|endoftext|>"
    # Rows whose old+new text is longer are not tokenized (n_tokens stays null and the rule drops them):
    # no tokenizer fits 100k characters into a few hundred tokens, and tokenizing megabytes is slow.
    max_chars: int = Field(default=100_000, ge=1)
    # candidates: count only rows that pass every other row rule (the only rows whose verdict the count
    # can change; n_tokens is null elsewhere). all: count every row, to move several rules at once later.
    scope: Literal["candidates", "all"] = "candidates"
    batch_size: int = Field(default=256, ge=1)


class LangIdConfig(_Model):
    """Natural-language ID of the cleaned subject and of the whole message with fastText lid.176."""

    # lid.176.ftz/.bin path; default: the model installed with the package (octopack_spark/data/langid).
    model_path: Optional[str] = None
    # Which rows get language ID (and so the nl_language rule). candidates: rows that pass every other
    # row rule, the only rows whose verdict it can change (nl_* columns stay null elsewhere); most
    # rows fail a cheaper rule first, so this saves most of the scoring pass. all: every row.
    scope: Literal["candidates", "all"] = "candidates"


class ReportConfig(_Model):
    plots: bool = True
    title: str = "CommitPackFT (octopack-spark reproduction)"
    # Rows shown per table in the printed funnel's "top languages" part.
    top_languages: int = Field(default=20, ge=1)


class GuardConfig(_Model):
    """The over-removal guard (ft.guard): ft fails before publishing when its output is empty or one rule
    removes more than max_rule_share of the rows that reach it, unless allowed (--allow-empty,
    --allow-over-removal). Both checks apply only when at least min_rows rows reach them: on a handful
    of rows an empty result is ordinary (the paper's filters keep ~1 % of commits)."""

    max_rule_share: float = Field(default=0.99, gt=0.0, le=1.0)
    min_rows: int = Field(default=100, ge=1)
    allow_empty: bool = False
    allow_over_removal: bool = False


class SecretsConfig(_Model):
    """Secrets in the kept rows (ft.secrets): redact = replace each with <SECRET_KIND> (default); drop = leave
    the row out of commitpackft; off = publish the texts as mined."""

    mode: Literal["redact", "drop", "off"] = "redact"
    # E-mail addresses and the names in Signed-off-by:/Co-authored-by:/... trailers of messages and subjects
    # (commitpackft and scored) -> <EMAIL_n>/<PERSON_n> (keyed by $OCTOPACK_PII_KEY when set); off = as mined.
    personal_data: Literal["pseudonymize", "off"] = "pseudonymize"


class FtConfig(_Model):
    input: Optional[str] = None  # dataset root written by `octopack mine` (holds commits/ + manifest.json)
    output: Optional[str] = None  # dataset root for scored/, commitpackft/, stats, README.md, manifest.json
    filters: FilterConfig = Field(default_factory=FilterConfig)
    tokens: TokenConfig = Field(default_factory=TokenConfig)
    langid: LangIdConfig = Field(default_factory=LangIdConfig)
    exact: ExactDedupConfig = Field(default_factory=ExactDedupConfig)
    minhash: MinHashConfig = Field(default_factory=MinHashConfig)
    decont: DecontConfig = Field(default_factory=DecontConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    guard: GuardConfig = Field(default_factory=GuardConfig)
    secrets: SecretsConfig = Field(default_factory=SecretsConfig)
    # Spark partitions for the scoring pass (None: as read). More partitions = smaller tasks.
    score_partitions: Optional[int] = Field(default=None, ge=1)
