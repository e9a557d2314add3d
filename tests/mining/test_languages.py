from octopack_spark.mining.languages import detect_language, file_extension, language_table


def test_table_is_complete():
    t = language_table()
    assert len(t) == 358 and sum(len(v) for v in t.values()) == 853


def test_dotted_lookup_fixes_the_original_bug():
    # The original looked up "py" (no dot) against ".py" entries and matched nothing.
    assert detect_language("src/main.py") == "Python"
    assert detect_language("a/b/c.rs") == "Rust"
    assert detect_language("lib.go") == "Go"


def test_compound_and_case_sensitive_extensions():
    assert detect_language("x/gen.rs.in") == "Rust"
    assert detect_language("CMakeLists.cmake.in") == "CMake"
    assert detect_language("foo.C") == "C++"  # .C is C++, .c is C
    assert detect_language("foo.c") == "C"
    assert detect_language("FOO.PY") == "Python"  # case-folded fallback


def test_whole_name_and_dotfiles():
    assert detect_language("docker/Dockerfile") == "Dockerfile"
    assert detect_language("Makefile") == "Makefile"
    assert detect_language(".emacs") == "Emacs Lisp"


def test_unknown_is_none_not_dropped():
    assert detect_language("LICENSE") is None
    assert detect_language("blob.unknownext") is None
    assert detect_language(None) is None
    assert detect_language("") is None


def test_file_extension():
    assert file_extension("a/b.tar.gz") == ".gz"
    assert file_extension("Makefile") is None
    assert file_extension(".bashrc") is None
