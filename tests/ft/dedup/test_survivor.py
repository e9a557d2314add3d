import datetime as dt
import random

import pytest

from octopack_spark.ft.dedup.config import SurvivorConfig
from octopack_spark.ft.dedup.survivor import survivor_key, survivor_order

T = dt.datetime(2023, 5, 1, tzinfo=dt.timezone.utc)
CFG = SurvivorConfig()


def best(rows):
    return min(rows, key=lambda r: survivor_key(r, CFG))["row_id"]


def r(rid, license="mit", stars=10, t=T):
    return {"row_id": rid, "license": license, "stars": stars, "committer_time": t}


def test_rule_order():
    assert best([r("a", license="gpl-3.0", stars=10**6), r("b", stars=1)]) == "b"  # permissive first
    assert best([r("a", license=None), r("b", license="unknown"), r("c", license="MIT")]) == "c"
    assert best([r("a", stars=5), r("b", stars=50)]) == "b"  # then more stars
    assert best([r("a", stars=None), r("b", stars=0)]) == "b"  # unknown stars lose to 0
    assert best([r("a", t=T + dt.timedelta(days=1)), r("b", t=T)]) == "b"  # then earliest
    assert best([r("a", t=None), r("b", t=T + dt.timedelta(days=900))]) == "b"
    assert best([r("b"), r("a")]) == "a"  # then smallest row_id


def test_configurable_license_list():
    cfg = SurvivorConfig(permissive_licenses=["gpl-3.0"])
    rows = [r("a", license="mit", stars=100), r("b", license="gpl-3.0", stars=1)]
    assert min(rows, key=lambda x: survivor_key(x, cfg))["row_id"] == "b"


@pytest.mark.spark
def test_spark_order_equals_python_rule(spark):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rng = random.Random(3)
    rows = []
    for g in range(40):
        for i in range(rng.randrange(1, 6)):
            rows.append({"g": g, "row_id": f"{rng.randrange(10**6):06d}-{g}-{i}",
                         "license": rng.choice(["mit", "gpl-3.0", None, "apache-2.0", "Unknown"]),
                         "stars": rng.choice([None, 0, 1, 5, 5, 100]),
                         "committer_time": rng.choice([None, T, T + dt.timedelta(hours=1)])})
    df = spark.createDataFrame(rows, "g int, row_id string, license string, stars bigint, committer_time timestamp")
    w = Window.partitionBy("g").orderBy(*survivor_order(CFG))
    got = {x.g: x.s for x in df.select("g", F.first("row_id").over(w).alias("s")).distinct().collect()}
    want = {}
    for g in {x["g"] for x in rows}:
        want[g] = best([x for x in rows if x["g"] == g])
    assert got == want
