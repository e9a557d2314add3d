"""Personal data in commit messages (octopack_spark.governance.personal)."""

from octopack_spark.governance.personal import pseudonymize

MSG = ("Fix the parser for empty input\n\nReported by jane.doe@example.org on the list.\n\n"
       "Signed-off-by: Jane Doe <jane.doe@example.org>\nCo-authored-by: Bob Roe <bob@corp.example.com>\n")


def test_trailer_names_and_emails_become_numbered_placeholders():
    out = pseudonymize(MSG, key="")
    assert "Jane" not in out and "Bob" not in out and "@" not in out
    assert "Signed-off-by: <PERSON_1> <EMAIL_1>" in out
    assert "Co-authored-by: <PERSON_2> <EMAIL_2>" in out
    assert "Reported by <EMAIL_1> on the list." in out  # the same address, the same placeholder
    assert out.startswith("Fix the parser for empty input\n")


def test_keyed_placeholders_are_stable_across_messages_and_differ_by_key():
    a = pseudonymize("Signed-off-by: Jane Doe <jane.doe@example.org>", key="k1")
    b = pseudonymize("Co-authored-by: J. Doe <Jane.Doe@example.org>", key="k1")
    c = pseudonymize("Signed-off-by: Jane Doe <jane.doe@example.org>", key="k2")
    email = a.split()[-1]
    assert email.startswith("<EMAIL_") and b.endswith(email) and not c.endswith(email)


def test_messages_without_personal_data_are_unchanged():
    for m in ("Add retry to the client", "", None, "Bump version to 1.2.3\n\nSee #12"):
        assert pseudonymize(m, key="") == m
