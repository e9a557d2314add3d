"""Training: DeepSpeed instruction tuning on CommitPackFT shards."""
