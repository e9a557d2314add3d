"""filters1 step 11 (spec §2): min_tokens <= tokens(old + "<|endoftext|>" + new) <= max_tokens.

The count itself is computed in batches by ft.tokens (any HF tokenizer, or the documented chars
fallback) and stored as `n_tokens`; this rule only compares, so a new window needs no recount.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def token_length(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Null n_tokens (not counted: contents missing or longer than tokens.max_chars) counts as too long."""
    n = row.n_tokens
    return KEEP if n is not None and cfg.min_tokens <= n <= cfg.max_tokens else drop("token_length")
