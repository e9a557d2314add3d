"""The paper's two rewrites of a commit subject, applied before the rules that read it.

filters1 step 8 strips `[skip ci]`, a leading `[tag]`, then a leading `prefix:`, then a trailing
`[tag]` ("[benchmark] Fix billing project" -> "Fix billing project"); filters2 step 3 removes
`[ci skip]`. The cleaned subject is what CommitPackFT ships as `subject` (the training instruction).
"""

from __future__ import annotations


def _is_bracket_tag(token: str) -> bool:
    return token.startswith("[") and token.endswith("]")


def clean_subject(subject: str) -> str:
    """filters1 step 8."""
    if not subject:
        return subject or ""
    tokens = subject.strip().replace("[skip ci]", "").split()
    if tokens and _is_bracket_tag(tokens[0]):
        tokens = tokens[1:]
    if tokens and tokens[0].endswith(":"):
        tokens = tokens[1:]
    if tokens and _is_bracket_tag(tokens[-1]):
        tokens = tokens[:-1]
    return " ".join(tokens).strip()


def remove_ci_skip(subject: str) -> str:
    """filters2 step 3."""
    return subject.replace("[ci skip]", "").strip()
