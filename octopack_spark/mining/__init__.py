"""CommitPack mining: repository sources, cloning, walking history and per-file change rows."""
