"""Turn raw model output into a program (or a description), per language, as the paper's harness did (spec §4).

Code tasks:
1. drop the prompt if the backend echoed it;
2. cut at the first stop sequence (always `<|endoftext|>`; Python and Go have their own lists);
3. Python: cut at the first non-indented line (the function ended);
   brace languages: count braces from 1 (2 for Java: class + method are open) and cut where the count hits 0;
   if it never does, Java cuts before `public static void main` / after the last `}` and closes the class,
   the others cut after the last `}`;
4. the program is `program_base.rstrip() + generation`.

Explain-describe: strip, cap at len(docstring) characters, cut at stop sequences, then remove every line of the
canonical solution longer than 20 characters that the description copies (so code cannot leak into step 2).

`is_finished` is the same rule as a streaming check, used by backends to stop generating early.
"""

from __future__ import annotations

from typing import Iterable, Sequence

EOS = "<|endoftext|>"

# From the harness (CodeGeeX lists). No trailing spaces: "\nif" also stops at "\nif(".
LANGUAGE_STOP_WORDS: dict[str, tuple[str, ...]] = {
    "python": ("\nclass", "\ndef", "\n#", "\n@", "\nprint", "\nif", "\nassert"),
    "go": ("\n//", "\nfunc main(", "struct", "\nfunc"),
    "js": (),
    "java": (),
    "cpp": (),
    "rust": (),
}

# Braces already open at the end of the prompt: the function (and for Java the class around it).
OPEN_BRACES: dict[str, int] = {"java": 2, "js": 1, "go": 1, "cpp": 1, "rust": 1}

JAVA_MAIN = "public static void main"
DESCRIPTION_CODE_LINE_MIN_CHARS = 20


def stop_words(language: str, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Stop sequences for a language plus a template's extras, EOS last, without duplicates."""
    if language not in LANGUAGE_STOP_WORDS:
        raise ValueError(f"unknown language {language!r}")
    out = list(LANGUAGE_STOP_WORDS[language]) + list(extra) + [EOS]
    return tuple(dict.fromkeys(out))


def strip_prompt(text: str, prompt: str) -> str:
    """Backends return only the completion; some (HF pipelines, saved raw outputs) echo the prompt."""
    if prompt and text.startswith(prompt):
        return text[len(prompt):]
    return text


def cut_at_stop_words(text: str, stops: Sequence[str]) -> str:
    """Cut at the earliest occurrence of any stop sequence."""
    cut = len(text)
    for w in stops:
        if not w:
            continue
        i = text.find(w)
        if i != -1 and i < cut:
            cut = i
    return text[:cut]


def _first_unindented_line(code: str) -> int:
    """Index of the first non-blank line that starts at column 0, or -1."""
    for i, line in enumerate(code.split("\n")):
        if line.strip() and line[0] not in (" ", "\t"):
            return i
    return -1


def truncate_block(code: str, language: str) -> str:
    """Keep only the rest of the function the prompt opened."""
    if language == "python":
        i = _first_unindented_line(code)
        return code if i == -1 else "\n".join(code.split("\n")[:i])
    if language not in OPEN_BRACES:
        raise ValueError(f"unknown language {language!r}")
    depth = OPEN_BRACES[language]
    for i, ch in enumerate(code):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return code[: i + 1]
    # The function never closed (ran out of tokens or wandered on).
    if language == "java":
        main = code.find(JAVA_MAIN)
        if main != -1:
            code = code[:main] + "}"
        if "}" in code:
            code = code[: code.rfind("}") + 1]
        # Method closed but not the class: close it, so the test class can follow.
        if code.count("{") - 1 == code.count("}"):
            code += "\n}"
        return code
    if "}" in code:
        code = code[: code.rfind("}") + 1]
    return code


def postprocess_code(completion: str, prompt: str, program_base: str, language: str,
                     stops: Sequence[str]) -> str:
    """The program part that gets executed: program_base + the cleaned generation."""
    gen = strip_prompt(completion, prompt).rstrip()
    gen = cut_at_stop_words(gen, stops)
    gen = truncate_block(gen, language)
    return program_base.rstrip() + gen


def remove_code_lines(text: str, canonical_solution: str,
                      min_chars: int = DESCRIPTION_CODE_LINE_MIN_CHARS) -> str:
    """Delete copies of long solution lines from a description (short lines like `return x` are words too)."""
    for line in canonical_solution.split("\n"):
        line = line.strip()
        if len(line) > min_chars and line in text:
            text = text.replace(line, "")
    return text


def postprocess_description(completion: str, prompt: str, docstring: str, canonical_solution: str,
                            stops: Sequence[str]) -> str:
    """Explain-describe output: capped at len(docstring) characters and with code lines stripped."""
    gen = strip_prompt(completion, prompt).strip()[: len(docstring)]
    gen = cut_at_stop_words(gen, stops).rstrip()
    return remove_code_lines(gen, canonical_solution)


def is_finished(generated: str, language: str, stops: Sequence[str], code: bool = True) -> bool:
    """Whether generation can stop: a stop sequence appeared or (for code) the function is complete."""
    if any(w and w in generated for w in stops):
        return True
    if not code:
        return False
    if language == "python":
        return _first_unindented_line(generated) != -1
    return generated.count("{") + OPEN_BRACES[language] <= generated.count("}")
