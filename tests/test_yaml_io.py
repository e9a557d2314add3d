"""The one YAML loader (octopack_spark/yaml_io.py): a syntax error names the file and the line, whoever reads it."""

from pathlib import Path

import pytest

from evaluation.prompts import get_template
from octopack_spark.config import ConfigError, load_config
from octopack_spark.errors import UserFacingError
from octopack_spark.sql.errors import ReportError
from octopack_spark.sql.reports import load_reports
from octopack_spark.yaml_io import load_yaml_file, parse_yaml_scalar
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


@pytest.mark.parametrize("load,error,what", [
    (load_config, ConfigError, "config"),
    (load_train_config, TrainConfigError, "training config"),
    (lambda p: load_reports(str(p)), ReportError, "reports"),
    (lambda p: get_template(str(p)), UserFacingError, "prompt template"),
])
def test_every_yaml_reader_reports_the_line(tmp_path, load, error, what):
    f: Path = tmp_path / "broken.yaml"
    f.write_text(BROKEN)
    with pytest.raises(error) as e:
        load(f)
    assert str(e.value).startswith(f"{what} file {f} is not valid YAML at line 3, column 6: ")
