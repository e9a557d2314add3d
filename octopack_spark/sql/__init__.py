"""Analyst queries over the pipeline's manifest-described Parquet datasets (`octopack sql`, `octopack tables`).

catalog.py finds datasets and their tables through manifests; duckdb_engine.py and spark_engine.py expose
them as views; output.py writes results; reports.py holds the ready-made reports as data; listing.py
describes and verifies tables. See docs/sql.md.
"""
