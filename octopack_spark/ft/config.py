"""Configuration of the CommitPackFT stage (`octopack ft`)."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict


class FtConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    input: Optional[str] = None
    output: Optional[str] = None
