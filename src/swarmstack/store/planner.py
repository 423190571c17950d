"""Hints that keep SQLite's query planner on the primary key where a guard also names `status`.

Without statistics (the store runs no ANALYZE on SQLite) the planner assumes an equality on any
index matches about ten rows, so for `UPDATE tasks ... WHERE status IN (...) AND id IN (...)` it
may walk every task of that status through a status index instead of looking the ids up. In a
queue `status` is the least selective column there is: the claim's UPDATE walked the whole
backlog on every claim. SQLite's documented way to take a term out of index selection is a unary
`+` ("The SQLite Query Optimizer Overview", section "Disqualifying WHERE clause terms using
unary-"+""): `+status IN (...)` means the same and is checked on the rows the ids found.
PostgreSQL plans from statistics and has no unary `+` for text, so there the column renders as
it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeEngine


class unindexed(FunctionElement[Any]):  # noqa: N801  (reads as a SQL function, as SQLAlchemy's do)
    """`column`, kept out of SQLite's index selection (rendered `+column`); plain elsewhere.

    Shape: `unindexed(tasks.c.status).in_([...])` compares as the column does.
    """

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type: TypeEngine[Any] = column.type


@compiles(unindexed)
def _plain(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
