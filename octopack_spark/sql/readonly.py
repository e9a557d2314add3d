"""Which statements `octopack sql` runs: read-only queries, decided by each engine's own parser.

DuckDB: exactly one statement whose type (`duckdb.extract_statements`) is SELECT (DuckDB parses WITH,
VALUES, DESCRIBE, SHOW, SUMMARIZE and PIVOT-free FROM-first queries as SELECT) or EXPLAIN of one; COPY,
ATTACH, INSTALL/LOAD, SET/RESET/USE, PRAGMA, CALL, CREATE, EXPORT, ... are refused before anything runs.
This is the first of two locks: the DuckDB connection itself also runs with external access off, reading
only the manifest-listed files, and with its configuration locked (see duckdb_engine.py).

Spark: the plan from Spark's parser (`sqlParser().parsePlan`) must be a query. Commands are refused except
the few that only describe (SHOW TABLES/VIEWS/COLUMNS/FUNCTIONS, DESCRIBE, EXPLAIN of an allowed
statement); so are INSERT (including INSERT OVERWRITE DIRECTORY), EXECUTE IMMEDIATE, relations that are not
tables of the datasets when qualified (`text.`/etc/passwd``, `parquet.`/any/path``), and the functions that
call arbitrary Java methods (reflect, java_method, try_reflect).
"""

from __future__ import annotations

from typing import Optional

from octopack_spark.sql.errors import QueryError

READ_ONLY_HINT = ("octopack sql only runs read-only queries (SELECT, WITH, VALUES, EXPLAIN, DESCRIBE, SHOW, "
                  "SUMMARIZE)")


class RefusedStatement(QueryError):
    """A statement that would change or reach outside the datasets; nothing of it was run."""


# ---------------------------------------------------------------------------------------------- DuckDB
def check_duckdb(sql: str) -> None:
    """Raise RefusedStatement unless `sql` is one read-only DuckDB statement."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryError(str(e).strip()) from None
    if not statements:
        raise QueryError("no SQL statement to run")
    if len(statements) > 1:
        raise RefusedStatement(f"{len(statements)} statements given; octopack sql runs one statement at a time")
    _check_duckdb_statement(sql, statements[0], depth=0)


def _check_duckdb_statement(sql: str, st, depth: int) -> None:
    import duckdb

    kind = st.type
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.EXPLAIN and depth == 0:
        inner = _explained_statement(sql)
        found = duckdb.extract_statements(inner) if inner is not None else []
        if len(found) == 1:
            _check_duckdb_statement(inner, found[0], depth + 1)
            return
    name = str(kind).rsplit(".", 1)[-1]
    raise RefusedStatement(f"refused statement of type {name}: {READ_ONLY_HINT}")


def _explained_statement(sql: str) -> Optional[str]:
    """The statement inside `EXPLAIN [ANALYZE] [(options)] <statement>`, located with DuckDB's tokenizer
    (so comments and string contents cannot confuse it)."""
    import duckdb

    tokens = duckdb.tokenize(sql)

    def text(i: int) -> str:
        end = tokens[i + 1][0] if i + 1 < len(tokens) else len(sql)
        return sql[tokens[i][0]:end].strip().upper()

    i = 0
    if not tokens or text(0) != "EXPLAIN":
        return None
    i = 1
    if i < len(tokens) and text(i) == "ANALYZE":
        i += 1
    if i < len(tokens) and text(i) == "(":
        depth = 0
        while i < len(tokens):
            t = text(i)
            depth += t.count("(") - t.count(")")
            i += 1
            if depth <= 0:
                break
    if i >= len(tokens):
        return None
    return sql[tokens[i][0]:]


# ----------------------------------------------------------------------------------------------- Spark
# Commands that only describe tables, views, columns or functions (nothing is written or loaded).
SPARK_DESCRIBING_COMMANDS = frozenset({
    "ShowTables", "ShowViews", "ShowColumns", "ShowFunctions", "DescribeRelation", "DescribeColumn",
    "DescribeQueryCommand", "ExplainCommand",
})
# Plan nodes that write or execute other SQL but are not `Command`s in Spark's class hierarchy.
SPARK_REFUSED_NODES = frozenset({"InsertIntoStatement", "InsertIntoDir", "UnresolvedExecuteImmediate"})
# Functions that call arbitrary static Java methods.
SPARK_REFUSED_FUNCTIONS = frozenset({"reflect", "java_method", "try_reflect"})

_LOGICAL = "org.apache.spark.sql.catalyst.plans.logical."


def scala_seq(seq) -> list:
    """A Scala Seq (through py4j) as a Python list."""
    out, it = [], seq.iterator()
    while it.hasNext():
        out.append(it.next())
    return out


def check_spark_plan(spark, plan) -> None:
    """Raise RefusedStatement unless the parsed (unresolved) plan only reads.

    `plan` is the JVM LogicalPlan from `sessionState().sqlParser().parsePlan(sql)`. Every node is visited:
    children, inner children (CTE definitions and the plans of subquery expressions), the statement an
    EXPLAIN or DESCRIBE QUERY wraps, and the expressions of each node (for function calls)."""
    jvm_class = spark._jvm.java.lang.Class
    loader = plan.getClass().getClassLoader()
    command = jvm_class.forName(_LOGICAL + "Command", False, loader)
    parsed_statement = _optional_class(jvm_class, _LOGICAL + "ParsedStatement", loader)

    def visit(node, root: bool) -> None:
        name = node.getClass().getSimpleName().rstrip("$")
        if name in SPARK_REFUSED_NODES:
            raise RefusedStatement(f"refused {_describe(name)}: {READ_ONLY_HINT}")
        if command.isInstance(node) or (parsed_statement is not None and parsed_statement.isInstance(node)):
            if name not in SPARK_DESCRIBING_COMMANDS or not root:
                raise RefusedStatement(f"refused {_describe(name)}: {READ_ONLY_HINT}")
            if name == "ExplainCommand":
                visit(node.logicalPlan(), root=True)
            elif name == "DescribeQueryCommand":
                visit(node.plan(), root=False)
        for expr in scala_seq(node.expressions()):
            visit_expression(expr)
        for child in scala_seq(node.children()):
            visit(child, root=False)
        for inner in scala_seq(node.innerChildren()):
            if inner.getClass().getName().startswith(_LOGICAL):
                visit(inner, root=False)

    def visit_expression(expr) -> None:
        if expr.getClass().getSimpleName() == "UnresolvedFunction":
            parts = [str(p).lower() for p in scala_seq(expr.nameParts())]
            if parts and parts[-1] in SPARK_REFUSED_FUNCTIONS:
                raise RefusedStatement(f"refused function {parts[-1]}(): it calls Java methods")
        for child in scala_seq(expr.children()):
            visit_expression(child)

    visit(plan, root=True)


def _optional_class(jvm_class, name: str, loader):
    try:
        return jvm_class.forName(name, False, loader)
    except Exception:  # not in this Spark version
        return None


def _describe(node_name: str) -> str:
    words = {
        "InsertIntoDir": "INSERT OVERWRITE DIRECTORY",
        "InsertIntoStatement": "INSERT",
        "UnresolvedExecuteImmediate": "EXECUTE IMMEDIATE",
        "SetCommand": "SET",
    }
    return words.get(node_name, f"statement {node_name}")
