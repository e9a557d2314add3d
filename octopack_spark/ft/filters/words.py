"""Word lists of the paper's rules, kept as data apart from the rule logic (spec §1-2).

Each list is the paper's, with the documented fixes: `"plug"` carries no trailing space here (the
original stored `'plug '` and then appended another space, so it never matched).
"""

from __future__ import annotations

# CommitPack SQL step 1: lower-cased messages that are dropped when they equal one of these exactly.
MESSAGE_BLOCKLIST: tuple[str, ...] = (
    "update readme.md", "initial commit", "update", "mirroring from micro.blog.", "update data.json",
    "update data.js", "add files via upload", "update readme", "can't you see i'm updating the time?",
    "pi push", "dummy", "update index.html", "first commit", "create readme.md", "heartbeat update",
    "updated readme", "update log", "test", "no message", "readme", "wip", "updates", "commit",
    "update _config.yaml",
)

# CommitPack SQL step 1: the repository's language list must match one of these (BigQuery LIKE patterns,
# case-sensitive; `%` matches any suffix, so "Perl%" covers Perl and Perl6).
REPO_LANGUAGE_PATTERNS: tuple[str, ...] = (
    "Python", "Java", "JavaScript", "HTML", "Common Lisp", "Shell", "R", "Perl%", "SQL", "C", "C#", "C++",
    "TypeScript", "Go", "Rust", "Swift", "PHP", "Dart", "Kotlin", "Matlab", "MATLAB", "Ruby",
)

# Pre-scrape (scrape_github.py): messages dropped when equal to one of these (after stripping whitespace,
# so "please\n" is covered by "please").
TRIVIAL_MESSAGES: tuple[str, ...] = ("initial commit", "please", "lalala")

# Post-processing (licenses_optout_langs.py): owners who opted out of The Stack v1.2. A row whose only
# repository belongs to one of them is dropped. Compared case-insensitively (GitHub logins are).
OPTOUT_LOGINS: tuple[str, ...] = (
    "tomas", "bermannoah", "rtzoeller", "sdatkinson", "jtth", "benui-dev", "DrTimothyAldenDavis", "pranftw",
    "marcsances", "sitmo", "jucor", "digantamisra98", "przemb", "jisakiel", "kellycochran", "AkashM398",
    "MeSayan", "SWinxy", "zitterbewegung", "fredster33", "demangejeremy", "PPPI", "henilp105", "tobymcclean",
    "cynddl", "spate141", "plaaosert", "woylie", "alexkoster", "satyrnidae", "rclark", "zakkolar", "jimscard",
    "marjoleinF", "ghchinoy", "jmfadeley", "fuhrmanator", "stephen-three", "retro-ai", "abolouri",
    "matthewheath", "jollypolly123", "RJRauch", "ivansche",
)

# filters1 step 5: per-language extension whitelist (CommitPack language names; extensions with the dot,
# which is the fix: the original compared dot-less extensions against these and rejected everything).
EXTENSION_WHITELIST: dict[str, tuple[str, ...]] = {
    "Python": (".py",),
    "Java": (".java",),
    "JavaScript": (".js",),
    "Rust": (".rs",),
    "Go": (".go",),
    "C++": (".cpp",),
    "C": (".c", ".h"),
    "HTML": (".html",),
    "XML": (".xml",),
    "Shell": (".sh", ".bash", ".zsh", ".csh", ".slurm"),
}

# filters1 step 12: the lower-cased subject must start with one of these verbs followed by a space.
VERBS_EN: tuple[str, ...] = (
    "abort", "accelerate", "access", "accumulate", "add", "address", "adjust", "advance", "align", "allot",
    "allow", "amplify", "annotate", "append", "apply", "archive", "arrange", "attach", "augment", "automate",
    "backup", "boost", "break", "bring", "brush up", "build", "bump", "call", "change", "check", "choose",
    "clarify", "clean", "clear", "clone", "comment", "complete", "compress", "concatenate", "configure",
    "connect", "consolidate", "convert", "copy", "correct", "cover", "create", "customize", "cut", "deal with",
    "debug", "decipher", "declare", "decommission", "decomplexify", "decompress", "decrease", "decrypt",
    "define", "delete", "deploy", "designate", "destroy", "detach", "determine", "develop", "diminish",
    "disable", "discard", "disentangle", "dismantle", "divide", "document", "downgrade", "drop", "duplicate",
    "edit", "embed", "emphasize", "enable", "encrypt", "enforce", "enhance", "enlarge", "enumerate",
    "eradicate", "escalate", "establish", "exclude", "exit", "expand", "expedite", "expire", "extend",
    "facilitate", "fix", "format", "gather", "generalize", "halt", "handle", "hasten", "hide", "implement",
    "improve", "include", "increase", "increment", "indent", "index", "inflate", "initialize", "insert",
    "install", "integrate", "interpolate", "interrupt", "introduce", "isolate", "join", "kill", "leverage",
    "load", "magnify", "maintain", "make", "manage", "mark", "mask", "mend", "merge", "migrate", "modify",
    "monitor", "move", "multiply", "normalize", "optimize", "orchestrate", "order", "package", "paraphrase",
    "paste", "patch", "plug", "prepare", "prepend", "print", "provision", "purge", "put", "quit", "raise",
    "read", "reannotate", "rearrange", "rebase", "reboot", "rebuild", "recomment", "recompile", "reconfigure",
    "reconnect", "rectify", "redact", "redefine", "reduce", "refactor", "reformat", "refresh", "reimplement",
    "reinforce", "relocate", "remove", "rename", "reorder", "reorganize", "repackage", "repair", "rephrase",
    "replace", "reposition", "reschedule", "reset", "reshape", "resolve", "restructure", "return", "revert",
    "revise", "revoke", "reword", "rework", "rewrite", "rollback", "save", "scale", "scrub", "secure",
    "select", "send", "set", "settle", "simplify", "solve", "sort", "speed up", "split", "stabilize",
    "standardize", "stipulate", "stop", "store", "streamline", "strengthen", "structure", "substitute",
    "subtract", "support", "swap", "switch", "synchronize", "tackle", "tag", "terminate", "test", "throw",
    "tidy", "transform", "transpose", "trim", "troubleshoot", "truncate", "tweak", "unblock", "uncover",
    "undo", "unify", "uninstall", "unplug", "unpublish", "unravel", "unstage", "unsync", "untangle", "unwind",
    "update", "upgrade", "use", "validate", "verify", "watch", "watermark", "whitelist", "withdraw", "work",
    "write",
)

# filters1 step 12: whole lower-cased subjects that are dropped.
BAD_SUBJECTS: tuple[str, ...] = (
    "readme", "update", "dummy", "updated", "test", "update readme", "update readme.md", "updated readme.md",
    "updated readme",
)

# filters1 step 12: lower-cased subjects containing any of these are dropped.
BAD_SUBJECT_PARTS: tuple[str, ...] = (
    "auto commit", "update contributing", "<?xml", "merge branch", "merge pull request", "signed-off-by",
)

# filters2 step 4: case-sensitive prefixes of version-bump subjects (most of them are dropped).
BUMP_PREFIXES: tuple[str, ...] = ("Bump", "Set version", "Update version")

# filters2 step 8: joke subjects (lower-cased, whole text).
JOKE_SUBJECTS: tuple[str, ...] = (
    "fix that bug where things didn't work but now they should",
    "put the thingie in the thingie",
    "add a beter commit message",
)
