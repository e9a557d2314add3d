"""Ready-made reports: named SQL kept as data, run by either engine.

Each report is a mapping with `description`, `tables` (what it reads), `sql` and optional integer
`params` ({name: default}) written as `{name}` in the SQL. The SQL is the common subset of DuckDB and
Spark SQL (no quoted identifiers, explicit NULLS LAST, doubles for ratios, sums cast to BIGINT since
DuckDB sums integers into HUGEINT) so both engines give the same
rows; tests/sql/test_reports.py runs every report on both. Add your own with `--reports-file FILE.yaml`
holding more entries of the same shape (replacing a built-in one needs `--allow-shadow-reports`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from octopack_spark.sql.errors import ReportError

BUILTIN_REPORTS: dict[str, dict] = {
    "languages": {
        "description": "commits and file changes per language and license (CommitPack's per-language table)",
        "tables": ["commits"],
        "sql": """
SELECT lang, license,
       COUNT(DISTINCT commit) AS commits,
       COUNT(*) AS file_changes,
       COUNT(DISTINCT repo) AS repos,
       CAST(SUM(COALESCE(lines_added, 0)) AS BIGINT) AS lines_added,
       CAST(SUM(COALESCE(lines_removed, 0)) AS BIGINT) AS lines_removed
FROM commits
GROUP BY lang, license
ORDER BY commits DESC, file_changes DESC, lang NULLS LAST, license NULLS LAST
""",
    },
    "top_repos": {
        "description": "repositories with the most mined commits",
        "tables": ["commits"],
        "params": {"top": 20},
        "sql": """
SELECT repo,
       COUNT(DISTINCT commit) AS commits,
       COUNT(*) AS file_changes,
       COUNT(DISTINCT lang) AS languages,
       MAX(stars) AS stars,
       MIN(committer_time) AS first_commit,
       MAX(committer_time) AS last_commit
FROM commits
GROUP BY repo
ORDER BY commits DESC, file_changes DESC, repo
LIMIT {top}
""",
    },
    "funnel": {
        "description": "the CommitPackFT filter funnel: rows in / dropped / out per stage, in pipeline order",
        "tables": ["stats"],
        "sql": """
SELECT kind, name AS step,
       rows_in, rows_dropped, rows_out,
       ROUND(CAST(rows_out AS DOUBLE) * 100 / NULLIF(rows_in, 0), 2) AS pct_kept,
       ROUND(CAST(rows_out AS DOUBLE) * 100
             / NULLIF(MAX(CASE WHEN kind = 'total' THEN rows_in END) OVER (), 0), 2) AS pct_of_input,
       bytes_in, bytes_dropped, bytes_out, seconds
FROM stats
WHERE kind IN ('total', 'stage')
ORDER BY CASE WHEN kind = 'total' THEN 0 ELSE 1 END, position
""",
    },
    "drop_reasons": {
        "description": "CommitPackFT rules that dropped rows (each row counted at the first rule it fails)",
        "tables": ["stats"],
        "sql": """
SELECT stage, name AS rule, rows_dropped, bytes_dropped,
       ROUND(CAST(rows_dropped AS DOUBLE) * 100 / NULLIF(rows_in, 0), 2) AS pct_of_rule_input
FROM stats
WHERE kind = 'rule' AND rows_dropped > 0
ORDER BY rows_dropped DESC, position
""",
    },
    "ft_languages": {
        "description": "rows per language before and after the CommitPackFT filters",
        "tables": ["stats"],
        "sql": """
SELECT name AS lang,
       CAST(SUM(CASE WHEN kind = 'lang_in' THEN rows_out ELSE 0 END) AS BIGINT) AS rows_in,
       CAST(SUM(CASE WHEN kind = 'lang_out' THEN rows_out ELSE 0 END) AS BIGINT) AS rows_kept,
       ROUND(CAST(SUM(CASE WHEN kind = 'lang_out' THEN rows_out ELSE 0 END) AS DOUBLE) * 100
             / NULLIF(SUM(CASE WHEN kind = 'lang_in' THEN rows_out ELSE 0 END), 0), 2) AS pct_kept
FROM stats
WHERE kind IN ('lang_in', 'lang_out')
GROUP BY name
ORDER BY rows_kept DESC, rows_in DESC, lang
""",
    },
    "error_reasons": {
        "description": "why repositories failed to mine, per stage and reason, with an example",
        "tables": ["errors"],
        "sql": """
SELECT stage, reason,
       COUNT(*) AS errors,
       COUNT(DISTINCT repo) AS repos,
       MIN(repo) AS example_repo,
       MIN(message) AS example_message
FROM errors
GROUP BY stage, reason
ORDER BY errors DESC, stage, reason
""",
    },
    "repo_status": {
        "description": "mining state: repositories per status with their commits, rows and time",
        "tables": ["state"],
        "sql": """
SELECT status,
       COUNT(*) AS repos,
       CAST(SUM(commits) AS BIGINT) AS commits,
       CAST(SUM(rows) AS BIGINT) AS file_changes,
       CAST(SUM(bytes) AS BIGINT) AS bytes,
       ROUND(SUM(seconds), 3) AS seconds
FROM state
GROUP BY status
ORDER BY repos DESC, status
""",
    },
}

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Report:
    name: str
    description: str
    sql: str
    tables: tuple[str, ...] = ()
    params: dict[str, int] = field(default_factory=dict)

    def render(self, values: Optional[dict[str, str]] = None) -> str:
        """The SQL with parameters filled in (integers only, so no value can change the statement)."""
        merged: dict[str, int] = dict(self.params)
        for k, v in (values or {}).items():
            if k not in self.params:
                known = ", ".join(self.params) or "none"
                raise ReportError(f"report '{self.name}' has no parameter '{k}' (parameters: {known})")
            try:
                merged[k] = int(str(v))
            except ValueError:
                raise ReportError(f"report '{self.name}': parameter {k} must be an integer, got {v!r}") from None
        return _PARAM.sub(lambda m: str(merged[m.group(1)]) if m.group(1) in merged else m.group(0),
                          self.sql).strip()


def _from_spec(name: str, spec: dict, where: str) -> Report:
    if not isinstance(spec, dict) or not isinstance(spec.get("sql"), str):
        raise ReportError(f"{where}: report '{name}' needs at least an 'sql' string")
    unknown = set(spec) - {"description", "tables", "sql", "params"}
    if unknown:
        raise ReportError(f"{where}: report '{name}' has unknown keys: {', '.join(sorted(unknown))}")
    params = spec.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, int) for v in params.values()):
        raise ReportError(f"{where}: report '{name}': params must map names to integer defaults")
    return Report(name=name, description=str(spec.get("description", "")), sql=spec["sql"],
                  tables=tuple(spec.get("tables") or ()), params=dict(params))


def load_reports(path: Optional[str] = None, allow_shadow: bool = False) -> dict[str, Report]:
    """Built-in reports plus those in a YAML file. A file entry named like a built-in report replaces it
    only with `allow_shadow` (`--allow-shadow-reports`): otherwise `--report funnel` could silently run
    someone else's SQL."""
    reports = {n: _from_spec(n, s, "built-in reports") for n, s in BUILTIN_REPORTS.items()}
    if path:
        from octopack_spark.config import read_yaml_mapping

        p = Path(path)
        data = read_yaml_mapping(p, "reports", error=ReportError,
                                 not_mapping="must map report names to {description, sql, params}")
        shadowing = sorted(str(n) for n in data if str(n) in BUILTIN_REPORTS)
        if shadowing and not allow_shadow:
            raise ReportError(f"reports file {p} redefines built-in report(s) {', '.join(shadowing)}; rename them, "
                              "or pass --allow-shadow-reports to replace the built-in ones")
        for name, spec in data.items():
            reports[str(name)] = _from_spec(str(name), spec, str(p))
    return reports


def get_report(name: str, path: Optional[str] = None, allow_shadow: bool = False) -> Report:
    reports = load_reports(path, allow_shadow)
    if name not in reports:
        raise ReportError(f"unknown report '{name}' (reports: {', '.join(sorted(reports))})")
    return reports[name]


def parse_params(items: Optional[list[str]]) -> dict[str, str]:
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ReportError(f"--param expects NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def describe_reports(path: Optional[str] = None, allow_shadow: bool = False) -> str:
    lines = []
    for name, r in sorted(load_reports(path, allow_shadow).items()):
        params = f" [params: {', '.join(f'{k}={v}' for k, v in r.params.items())}]" if r.params else ""
        lines.append(f"{name:<14} {r.description} (reads {', '.join(r.tables) or '?'}){params}")
    return "\n".join(lines) + "\n"
