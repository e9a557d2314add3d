import random

import pytest

from octopack_spark.ft.dedup.components import ComponentsDidNotConverge, connected_components

pytestmark = pytest.mark.spark


def union_find(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def run(spark, edges, **kw):
    df = spark.createDataFrame(edges or [("x", "x")], "src string, dst string")
    res = connected_components(df, **kw)
    return {r.node: r.comp for r in res.assignment.collect()}, res


def test_random_graphs_match_union_find(spark):
    rng = random.Random(0)
    nodes = [f"n{i:03d}" for i in range(300)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(260)]
    edges += [(f"p{i:03d}", f"p{i + 1:03d}") for i in range(60)]  # one long path, shuffled labels below
    edges += [("z", "a"), ("a", "m"), ("m", "b")]
    got, res = run(spark, edges)
    want = {k: v for k, v in union_find([(a, b) for a, b in edges if a != b]).items()}
    assert got == want
    assert res.iterations <= 40


def test_path_with_adversarial_labels_converges_in_few_rounds(spark):
    rng = random.Random(1)
    labels = [f"{rng.randrange(10**9):09d}" for _ in range(200)]
    edges = list(zip(labels, labels[1:]))
    got, res = run(spark, edges)
    assert set(got.values()) == {min(labels)}
    assert 1 <= res.iterations <= 15


def test_bounded_iterations_raise_instead_of_wrong_clusters(spark):
    labels = [f"{i:04d}" for i in range(0, 400, 2)][::-1]  # decreasing path: needs several rounds
    with pytest.raises(ComponentsDidNotConverge, match="max_iterations"):
        run(spark, list(zip(labels, labels[1:])), max_iterations=1)


def test_self_loops_and_duplicates(spark):
    got, res = run(spark, [("b", "a"), ("a", "b"), ("a", "a"), ("c", "c")])
    assert got == {"a": "a", "b": "a"}
    assert res.edges_in == 1
