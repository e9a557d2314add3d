"""Natural-language rule (ours): the detected language of the subject (or message) is allowed.

The paper had no language ID; its English verb list did that job. Scores come from ft.langid
(`nl_lang`/`nl_score` for the cleaned subject, `message_nl_*` for the message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from octopack_spark.ft.filters.base import KEEP, Verdict, drop

if TYPE_CHECKING:
    from octopack_spark.ft.config import FilterConfig
    from octopack_spark.ft.row import FtRow


def nl_language(row: "FtRow", cfg: "FilterConfig") -> Verdict:
    """Allowed language (default: en) with score >= nl_min_score. No languages configured: any."""
    if not cfg.nl_languages:
        return KEEP
    if cfg.nl_text == "message":
        lang, score = row.message_nl_lang, row.message_nl_score
    else:
        lang, score = row.nl_lang, row.nl_score
    if lang in cfg.nl_languages and (score or 0.0) >= cfg.nl_min_score:
        return KEEP
    return drop("nl_language")
