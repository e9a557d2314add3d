"""The paper's CommitPack / CommitPackFT rules, one named rule (or tight group) per function.

Every rule is `rule(row: FtRow, cfg: FilterConfig) -> (keep, reason)`; `pipeline.RULES` lists them in
the spec's order with the stage they belong to.
"""
