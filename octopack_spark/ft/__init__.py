"""CommitPackFT: filters, language ID, dedup, decontamination and the data card."""
