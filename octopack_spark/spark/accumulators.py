"""Spark accumulator parameters shared by the ft steps (a leaf: pyspark only, imported where used)."""

from __future__ import annotations


def dict_sum_param():
    """An AccumulatorParam for {key: number} dicts, summed per key (rule seconds, secret counts)."""
    from pyspark.accumulators import AccumulatorParam

    class DictSum(AccumulatorParam):
        def zero(self, value):
            return {}

        def addInPlace(self, a, b):
            for k, v in b.items():
                a[k] = a.get(k, 0) + v
            return a

    return DictSum()
