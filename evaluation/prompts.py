"""Prompt templates kept as data (`evaluation/templates/*.yaml`), rendered for any task.

The bigcode harness grows one if/elif branch per model format; here a format is a YAML file:

    name: octocoder
    input_order: instruction_first     # how instruction and context join into {input}
    strip_input: false                 # strip {input} before inserting it
    allows_context: true               # false for plain continuation (Synthesize only)
    template: "Question: {input}\n\nAnswer:\n{prompt_base}"
    task_templates: {fix: "..."}       # optional per-task-family override
    stop_words: ["<|end|>"]            # extra stop sequences this format needs

Placeholders: {input}, {instruction}, {context}, {prompt_base}. They are substituted in one pass, so code
containing braces or the placeholder text itself is inserted verbatim. The rendered prompt is `.strip()`ped as
in the harness: a prompt ending in "\n" would force the model to start its answer with an unusual token.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from octopack_spark.errors import UserFacingError
from octopack_spark.yaml_io import load_yaml_file

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PLACEHOLDERS = ("input", "instruction", "context", "prompt_base")
_PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
TASK_FAMILIES = ("fix", "explain_describe", "explain_synthesize", "synthesize")


class PromptTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    input_order: Literal["instruction_first", "context_first"] = "instruction_first"
    strip_input: bool = False
    allows_context: bool = True
    template: str
    task_templates: dict[str, str] = Field(default_factory=dict)
    stop_words: tuple[str, ...] = ()

    @field_validator("template")
    @classmethod
    def _has_prompt_base(cls, v: str) -> str:
        # Without {prompt_base} the generation could not be appended to the code it continues.
        if "{prompt_base}" not in v:
            raise ValueError("template must contain {prompt_base}")
        return v

    @field_validator("task_templates")
    @classmethod
    def _known_families(cls, v: dict[str, str]) -> dict[str, str]:
        for fam, tpl in v.items():
            if fam not in TASK_FAMILIES:
                raise ValueError(f"task_templates key {fam!r} is not one of {', '.join(TASK_FAMILIES)}")
            if "{prompt_base}" not in tpl:
                raise ValueError(f"task_templates[{fam}] must contain {{prompt_base}}")
        return v

    def join_input(self, instruction: str, context: Optional[str]) -> str:
        if context is None:
            inp = instruction
        elif self.input_order == "context_first":
            inp = context + "\n" + instruction
        else:
            inp = instruction + "\n" + context
        return inp.strip() if self.strip_input else inp

    def render(self, instruction: str, prompt_base: str, context: Optional[str] = None,
               family: Optional[str] = None) -> str:
        """The full prompt. `family` picks a task-specific template when the format defines one."""
        if context is not None and not self.allows_context:
            raise UserFacingError(
                f"prompt template {self.name!r} is plain continuation and cannot carry a context; "
                "use it for Synthesize only (or pick e.g. octocoder / instruct)")
        values = {
            "input": self.join_input(instruction, context),
            "instruction": instruction,
            "context": context or "",
            "prompt_base": prompt_base,
        }
        tpl = self.task_templates.get(family or "", self.template)
        return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], tpl).strip()


def available_templates(directory: Path = TEMPLATES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


def load_template_file(path: Path) -> PromptTemplate:
    raw = load_yaml_file(path, "prompt template")
    if not isinstance(raw, dict):
        raise UserFacingError(f"prompt template {path} must be a mapping")
    try:
        return PromptTemplate.model_validate(raw)
    except ValidationError as e:
        msgs = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
        raise UserFacingError(f"invalid prompt template {path}: {msgs}") from None


@lru_cache(maxsize=None)
def _load_builtin(name: str) -> PromptTemplate:
    return load_template_file(TEMPLATES_DIR / f"{name}.yaml")


def get_template(name_or_path: str) -> PromptTemplate:
    """A built-in template by name (octocoder, instruct, ...) or a YAML file path."""
    p = Path(name_or_path)
    if name_or_path.endswith((".yaml", ".yml")):
        if not p.is_file():
            raise UserFacingError(f"prompt template file not found: {p}")
        return load_template_file(p)
    if not (TEMPLATES_DIR / f"{name_or_path}.yaml").is_file():
        raise UserFacingError(
            f"unknown prompt template {name_or_path!r}; built-in: {', '.join(available_templates())} "
            "(or pass a path to a .yaml template)")
    return _load_builtin(name_or_path)
