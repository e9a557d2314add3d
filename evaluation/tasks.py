"""HumanEvalPack tasks: which code the prompt shows, what the model is asked, what gets executed.

| task               | harness name                | prompt_base (code the answer continues) | context                              | executed as |
|--------------------|-----------------------------|-----------------------------------------|--------------------------------------|-------------|
| fix-tests          | humanevalfixtests-L         | declaration (Rust: `fn main(){}\\n` + it) | prompt_base + buggy + "\\n" + test    | decl layout |
| fix-docs           | humanevalfixdocs-L          | prompt (signature + docstring)          | prompt_base + buggy                  | prompt      |
| explain-describe   | humanevalexplaindescribe-L  | "" (the answer is text)                 | declaration + canonical solution     | not run     |
| explain-synthesize | humanevalexplainsynthesize-L| declaration                             | one description from describe        | prompt      |
| synthesize         | humanevalsynthesize-L       | prompt                                  | none (instruction only)              | prompt      |

Post-processed code is `program_base.rstrip() + generation`, where program_base is prompt_base for Fix and the
docstring prompt for the other code tasks (the harness appends explain/synthesize answers to `doc.prompt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Optional, Sequence

from evaluation import postprocess as pp
from evaluation.data import DISPLAY_NAME, LANGUAGES, normalize_language
from evaluation.prompts import PromptTemplate
from octopack_spark.errors import UserFacingError

LANGUAGE_NAMES = DISPLAY_NAME
RUST_MAIN = "fn main(){}\n"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    harness_name: str
    family: str  # key for a template's task_templates
    with_docs: bool  # prompt_base is the docstring prompt (True) or the bare declaration (False)
    generates_code: bool
    program_base: Literal["prompt_base", "prompt"] = "prompt"
    exec_layout: Literal["prompt", "decl"] = "prompt"


TASKS: dict[str, TaskSpec] = {
    t.name: t for t in (
        TaskSpec("fix-tests", "humanevalfixtests", "fix", with_docs=False, generates_code=True,
                 program_base="prompt_base", exec_layout="decl"),
        TaskSpec("fix-docs", "humanevalfixdocs", "fix", with_docs=True, generates_code=True,
                 program_base="prompt_base", exec_layout="prompt"),
        TaskSpec("explain-describe", "humanevalexplaindescribe", "explain_describe", with_docs=False,
                 generates_code=False),
        TaskSpec("explain-synthesize", "humanevalexplainsynthesize", "explain_synthesize", with_docs=False,
                 generates_code=True),
        TaskSpec("synthesize", "humanevalsynthesize", "synthesize", with_docs=True, generates_code=True),
    )
}

# `octopack eval run --task X` -> the generation stages it runs, in order.
RUN_TASKS: dict[str, tuple[str, ...]] = {
    "fix": ("fix-tests",),
    "fix-tests": ("fix-tests",),
    "fix-docs": ("fix-docs",),
    "explain": ("explain-describe", "explain-synthesize"),
    "synthesize": ("synthesize",),
}


@dataclass(frozen=True)
class Prompt:
    """One generation request: `text` goes to the model; the rest turns its answer into a program."""

    task: str
    language: str
    index: int  # problem position in the dataset
    task_id: str
    text: str
    prompt_base: str
    program_base: str
    stop_words: tuple[str, ...]
    description_index: Optional[int] = None  # explain-synthesize: which description this prompt uses

    @property
    def key(self) -> str:
        """Stable id, also the seed source for sampling."""
        d = "" if self.description_index is None else f"#{self.description_index}"
        return f"{self.task}/{self.language}/{self.task_id}{d}"


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise UserFacingError(f"unknown task {name!r}; one of {', '.join(TASKS)}") from None


def check_language(language: str) -> str:
    """'javascript' / 'c++' aliases are accepted; the result is one of LANGUAGES."""
    return normalize_language(language)


def languages_arg(value: str) -> list[str]:
    """'all' -> every language; 'python,go' -> those two."""
    if value == "all":
        return list(LANGUAGES)
    return [check_language(v.strip()) for v in value.split(",") if v.strip()]


def _field(row: Mapping, name: str, index: int) -> str:
    v = row.get(name)
    if not isinstance(v, str):
        raise UserFacingError(
            f"HumanEvalPack problem {index} ({row.get('task_id', '?')}): field {name!r} is missing or not a string")
    return v


def prompt_base(task: TaskSpec, language: str, row: Mapping, index: int = 0) -> str:
    if not task.generates_code:
        return ""
    if task.with_docs:
        return _field(row, "prompt", index)  # the Rust prompt already starts with fn main(){}
    decl = _field(row, "declaration", index)
    return RUST_MAIN + decl if language == "rust" else decl


def declaration_base(language: str, row: Mapping, index: int = 0) -> str:
    decl = _field(row, "declaration", index)
    return RUST_MAIN + decl if language == "rust" else decl


def instruction_and_context(task: TaskSpec, language: str, row: Mapping, index: int = 0,
                            description: Optional[str] = None) -> tuple[str, Optional[str]]:
    name = task.name
    if name in ("fix-tests", "fix-docs"):
        base = prompt_base(task, language, row, index)
        context = base + _field(row, "buggy_solution", index)
        if name == "fix-tests":  # the tests are the only spec of correct behaviour
            context += "\n" + _field(row, "test", index)
        return f"Fix bugs in {_field(row, 'entry_point', index)}.", context
    if name == "explain-describe":
        cap = len(_field(row, "docstring", index))
        context = declaration_base(language, row, index) + _field(row, "canonical_solution", index)
        return (f"Provide a concise natural language description of the code using at most {cap} characters.",
                context)
    if name == "explain-synthesize":
        if description is None:
            raise ValueError("explain-synthesize needs a description")
        return f"Write functional code in {LANGUAGE_NAMES[language]} according to the description.", description
    if name == "synthesize":
        return _field(row, "instruction", index).strip(), None
    raise ValueError(f"no prompt rule for task {name!r}")


def build_prompt(task: TaskSpec, language: str, row: Mapping, template: PromptTemplate, index: int = 0,
                 description: Optional[str] = None, description_index: Optional[int] = None) -> Prompt:
    language = check_language(language)
    instruction, context = instruction_and_context(task, language, row, index, description)
    base = prompt_base(task, language, row, index)
    text = template.render(instruction, base, context, family=task.family)
    program_base = base if task.program_base == "prompt_base" else _field(row, "prompt", index)
    return Prompt(
        task=task.name, language=language, index=index, task_id=_field(row, "task_id", index), text=text,
        prompt_base=base, program_base=program_base,
        stop_words=pp.stop_words(language, template.stop_words),
        description_index=description_index,
    )


def build_prompts(task_name: str, language: str, rows: Sequence[Mapping], template: PromptTemplate,
                  descriptions: Optional[Sequence[Sequence[str]]] = None) -> list[Prompt]:
    """Prompts in dataset order. explain-synthesize makes one prompt per (problem, description)."""
    task = get_task(task_name)
    if task.name != "explain-synthesize":
        return [build_prompt(task, language, row, template, i) for i, row in enumerate(rows)]
    if descriptions is None or len(descriptions) != len(rows):
        got = "none" if descriptions is None else len(descriptions)
        raise UserFacingError(f"explain-synthesize needs one list of descriptions per problem "
                              f"({len(rows)} problems, got {got})")
    out = []
    for i, (row, descs) in enumerate(zip(rows, descriptions)):
        for j, d in enumerate(descs):
            out.append(build_prompt(task, language, row, template, i, description=d, description_index=j))
    return out


def postprocess_completion(prompt: Prompt, completion: str, row: Mapping) -> str:
    """A raw completion for `prompt` -> a program part (code tasks) or a description (explain-describe)."""
    task = get_task(prompt.task)
    if task.generates_code:
        return pp.postprocess_code(completion, prompt.text, prompt.program_base, prompt.language,
                                            prompt.stop_words)
    return pp.postprocess_description(completion, prompt.text, row.get("docstring", ""),
                                               row.get("canonical_solution", ""), prompt.stop_words)
