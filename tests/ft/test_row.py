from octopack_spark.ft.row import FtRow, bump_draw


def test_from_mapping_tolerates_nulls_and_missing_keys():
    r = FtRow.from_mapping({"subject": None, "message": None, "new_file": "x/y.py", "repo": "o/r"})
    assert r.subject == "" and r.message == "" and r.subject_final == ""
    assert r.lang == "Python"  # filled from the file name when the input has none
    assert r.repos == "o/r"  # a row without aggregated repos stands for its own repository


def test_derived_subjects():
    r = FtRow.from_mapping({"subject": "[x] core: Add retries [ci skip]"})
    assert r.subject_f1 == "Add retries [ci skip]"
    assert r.subject_final == "Add retries"
    assert r.subject_final_lower == "add retries"


def test_bump_draw_stable_and_uniformish():
    xs = [bump_draw(f"{i:032x}", "s") for i in range(5000)]
    assert xs == [bump_draw(f"{i:032x}", "s") for i in range(5000)]
    assert all(0.0 <= x < 1.0 for x in xs)
    assert 0.45 < sum(xs) / len(xs) < 0.55
