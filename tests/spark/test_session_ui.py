"""The Spark web UI: on by default for local sessions, on 127.0.0.1, its URL on the start-up log line, the
next free port when 4040 is taken; off with --no-spark-ui; the user's spark.ui.enabled always wins."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import pytest

from octopack_spark.cli.common import add_common_flags, build_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

_PROBE = """
import json, logging, socket, sys
from octopack_spark.config import SparkConfig
from octopack_spark.spark.session import get_spark

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
taken = socket.socket()
try:
    taken.bind(("127.0.0.1", 4040))  # 4040 busy (another Spark app): the UI must take the next port
    taken.listen(1)
except OSError:
    pass  # already busy anyway
out = {}
for name, conf in (("default", {}), ("user_off", {"spark.ui.enabled": "false"})):
    s = get_spark(SparkConfig(master="local[1]", conf=conf))
    sc = s.sparkContext
    out[name] = {"enabled": sc.getConf().get("spark.ui.enabled"), "url": sc.uiWebUrl,
                 "console": sc.getConf().get("spark.ui.showConsoleProgress")}
    s.stop()
print("UI=" + json.dumps(out))
"""


@pytest.mark.spark
def test_local_ui_on_loopback_by_default_and_user_setting_wins(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(_PROBE)
    env = {**os.environ, "PYTHONPATH": ROOT, "PYSPARK_PYTHON": sys.executable}
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    got = json.loads(next(x for x in res.stdout.splitlines() if x.startswith("UI="))[3:])
    default = got["default"]
    assert default["enabled"] == "true" and default["console"] == "false"
    assert default["url"].startswith("http://127.0.0.1:") and not default["url"].endswith(":4040")
    assert f"Spark UI {default['url']}" in res.stderr  # on the session's start-up log line
    assert got["user_off"]["enabled"] == "false" and got["user_off"]["url"] is None


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_common_flags(p)
    return p.parse_args(argv)


def test_no_spark_ui_flag_sets_the_conf_and_an_explicit_set_still_wins():
    assert "spark.ui.enabled" not in build_config(_parse([]), {}).spark.conf
    assert build_config(_parse(["--no-spark-ui"]), {}).spark.conf["spark.ui.enabled"] == "false"
    args = _parse(["--no-spark-ui", "--set", "spark.conf.spark.ui.enabled=true"])
    assert build_config(args, {}).spark.conf["spark.ui.enabled"] == "true"


def test_quiet_flag_is_a_common_flag():
    assert _parse(["--quiet"]).quiet and _parse(["-q"]).quiet and not _parse([]).quiet
