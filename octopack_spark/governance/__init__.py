"""What may be published: secrets in file contents and commit messages (see docs/governance.md)."""
