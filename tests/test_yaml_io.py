"""The one YAML loader (octopack_spark/yaml_io.py): a syntax error names the file and the line, whoever reads it;
and each reader built on it refuses a bad file with an error naming what is wrong."""

import pytest

from evaluation.prompts import get_template
from octopack_spark.config import ConfigError, load_config
from octopack_spark.errors import UserFacingError
from octopack_spark.sql.errors import ReportError
from octopack_spark.sql.reports import load_reports
from octopack_spark.yaml_io import load_yaml_file, parse_yaml_scalar
from tests.helpers.refused import assert_refused
from training.config import TrainConfigError, load_train_config

# An unclosed flow sequence opened on line 2: PyYAML stops at the ":" on line 3, column 6.
BROKEN = "name: x\nitems: [a, b\nother: 1\n"


def test_syntax_error_names_file_line_and_column(tmp_path):
    f = tmp_path / "broken.yaml"
    f.write_text(BROKEN)
    with pytest.raises(UserFacingError) as e:
        load_yaml_file(f, "config")
    msg = str(e.value)
    assert msg.startswith(f"config file {f} is not valid YAML at line 3, column 6: ")
    assert "while parsing a flow sequence at line 2" in msg
    assert "\n" not in msg


def test_control_character_names_the_line(tmp_path):
    f = tmp_path / "bell.yaml"
    f.write_text("a: 1\nb: \x07\n")
    with pytest.raises(UserFacingError, match=r"bell.yaml is not valid YAML at line 2: character 0x7"):
        load_yaml_file(f)


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(UserFacingError, match="cannot read prompt template file .*missing.yaml"):
        load_yaml_file(tmp_path / "missing.yaml", "prompt template")
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(UserFacingError, match="latin1.yaml is not UTF-8 text"):
        load_yaml_file(f)


def test_empty_file_is_none_and_scalars_parse(tmp_path):
    f = tmp_path / "empty.yaml"
    f.write_text("")
    assert load_yaml_file(f) is None
    assert parse_yaml_scalar("5") == 5 and parse_yaml_scalar("true") is True
    assert parse_yaml_scalar("[unclosed") == "[unclosed"


# Every YAML reader, by the name its messages use: how it reads a path, and the error it raises.
READERS = {
    "config": (load_config, ConfigError),
    "training config": (load_train_config, TrainConfigError),
    "reports": (lambda p: load_reports(str(p)), ReportError),
    "prompt template": (lambda p: get_template(str(p)), UserFacingError),
}


@pytest.mark.parametrize("what", READERS)
def test_every_yaml_reader_reports_the_line(tmp_path, what):
    load, error = READERS[what]
    f = tmp_path / "broken.yaml"
    e = assert_refused(load, f, BROKEN, error)
    assert str(e).startswith(f"{what} file {f} is not valid YAML at line 3, column 6: ")


# Files each reader refuses, and what its message must say (a regular expression, searched).
BAD_FILES = [
    ("config", "mine:\n  max_commits: -1\n", r"mine\.max_commits"),
    ("config", "mine:\n  no_such_field: 1\n", r"mine\.no_such_field"),
    ("config", "- a\n- b\n", "must hold a mapping"),
    ("config", "mine: [unclosed\n", "not valid YAML"),
    ("training config", "trian: {max_steps: 3}\n", "trian"),
    ("training config", "train: {zero_stage: 5}\n", "zero_stage"),
    ("training config", "data: {template: nope}\n", "template 'nope' is not defined"),
    ("training config", "- a list\n", "must hold a mapping"),
    ("reports", "- just a list", "must map report names"),
    ("reports", "x: {description: no sql}", "needs at least an 'sql'"),
    ("reports", "x: {sql: 'SELECT 1', colour: red}", "unknown keys: colour"),
    ("reports", "x: {sql: 'SELECT 1', params: {n: ten}}", "integer defaults"),
    ("reports", "x: [unclosed", "not valid YAML"),
    ("prompt template", 'name: bad\ntemplate: "{input}"\n', "prompt_base"),
    ("prompt template", 'name: x\ntemplate: "{prompt_base}"\nunknown_key: 1\n', "unknown_key"),
]


@pytest.mark.parametrize("what,text,match", BAD_FILES)
def test_bad_files_name_the_problem(tmp_path, what, text, match):
    load, error = READERS[what]
    assert_refused(load, tmp_path / "bad.yaml", text, error, match)
