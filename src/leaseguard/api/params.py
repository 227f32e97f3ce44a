"""The bounds of the API's integer parameters, one home: every integer a caller passes in a path or a query is
checked against what the store can hold before it reaches a query. A value beyond 64 bits used to reach the
database driver and answer 500; now the request is refused with a 422 problem naming the parameter."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# The widest integer a column of the store holds (BIGINT on PostgreSQL, INTEGER on SQLite).
STORED_INT_MAX = 2**63 - 1

RowIdPath = Annotated[int, Path(ge=1, le=STORED_INT_MAX, description="The row's id.")]
EvidenceIndexPath = Annotated[
    int, Path(ge=0, le=STORED_INT_MAX, description="The record's index in the log.")
]
