"""Connected components over a DataFrame of edges, entirely in Spark (no driver-side union-find).

Alternating Large-Star / Small-Star (Kiveris et al., "Connected Components in MapReduce and Beyond",
SoCC 2014), each round a few joins and aggregations over the edge DataFrame:

- Large-Star: each node u links every larger neighbour to m(u) = min(u, neighbours of u).
- Small-Star: each node u links its smaller neighbours and itself to m = the smallest of them.

Both keep the components unchanged and shrink them towards stars centred on their smallest node. The loop
stops when the edges form stars (every node points to exactly one node, which points to nothing): then
each star is one component and its centre is the component's minimum label. The number of rounds is
O(log^2 n) in theory and a handful in practice; it is bounded by `max_iterations` and an unconverged run
raises instead of returning wrong clusters. Each round's edges are checkpointed to cut the lineage.
"""

from __future__ import annotations

from dataclasses import dataclass


class ComponentsDidNotConverge(RuntimeError):
    pass


@dataclass
class ComponentsResult:
    assignment: object  # DataFrame (node string, comp string)
    iterations: int
    edges_in: int


def _checkpoint(df):
    return df.localCheckpoint(eager=True)


def _large_star(e):
    from pyspark.sql import functions as F

    sym = e.select(F.col("src").alias("u"), F.col("dst").alias("v")).unionByName(
        e.select(F.col("dst").alias("u"), F.col("src").alias("v")))
    m = sym.groupBy("u").agg(F.min("v").alias("mv")).select("u", F.least("u", "mv").alias("m"))
    return (sym.join(m, "u").where(F.col("v") > F.col("u"))
            .select(F.col("v").alias("src"), F.col("m").alias("dst")).distinct())


def _small_star(e):
    from pyspark.sql import functions as F

    # Orient every edge from the larger to the smaller label: (u, v) with v < u.
    o = e.select(F.greatest("src", "dst").alias("u"), F.least("src", "dst").alias("v")).distinct()
    m = o.groupBy("u").agg(F.min("v").alias("m"))
    linked = o.join(m, "u").select(F.col("v").alias("src"), F.col("m").alias("dst"))
    own = m.select(F.col("u").alias("src"), F.col("m").alias("dst"))
    return linked.unionByName(own).where(F.col("src") != F.col("dst")).distinct()


def _is_star_forest(e) -> bool:
    from pyspark.sql import functions as F

    multi = e.groupBy("src").agg(F.countDistinct("dst").alias("k")).where(F.col("k") > 1).limit(1).count()
    if multi:
        return False
    srcs = e.select(F.col("src").alias("dst")).distinct()
    chained = e.select("dst").distinct().join(srcs, "dst", "left_semi").limit(1).count()
    return chained == 0


def connected_components(edges, max_iterations: int = 40) -> ComponentsResult:
    """Components of the undirected graph given by `edges` (columns src, dst: comparable labels).

    Returns every node that has an edge with `comp` = the smallest label in its component."""
    from pyspark.sql import functions as F

    e = _checkpoint(edges.select(F.col("src").cast("string"), F.col("dst").cast("string"))
                    .where(F.col("src") != F.col("dst"))
                    .select(F.greatest("src", "dst").alias("src"), F.least("src", "dst").alias("dst"))
                    .distinct())
    edges_in = e.count()
    nodes = _checkpoint(e.select(F.col("src").alias("node")).unionByName(e.select(F.col("dst").alias("node")))
                        .distinct())
    it = 0
    while not _is_star_forest(e):
        if it >= max_iterations:
            raise ComponentsDidNotConverge(
                f"connected components did not converge in {max_iterations} large-star/small-star rounds; "
                "raise minhash.max_iterations (the graph may be one huge cluster: check the threshold)")
        e = _checkpoint(_small_star(_large_star(e)))
        it += 1
    comp = e.select(F.col("src").alias("node"), F.col("dst").alias("comp"))
    assignment = (nodes.join(comp, "node", "left")
                  .select("node", F.coalesce("comp", "node").alias("comp")))
    return ComponentsResult(assignment=assignment, iterations=it, edges_in=edges_in)
