"""The bounds of the API's integer parameters, one home: every integer a caller passes in a path or a query is
checked against what the store can hold before it reaches a query. A value beyond 64 bits used to reach the
database driver and answer 500; now the request is refused with a 422 problem naming the parameter."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import Path
from pydantic import WithJsonSchema

from leaseguard.store.models import BIG_ID_MAX

# The widest integer a column of the store holds.
STORED_INT_MAX = BIG_ID_MAX

RowIdPath = Annotated[int, Path(ge=1, le=STORED_INT_MAX, description="The row's id.")]
EvidenceIndexPath = Annotated[
    int, Path(ge=0, le=STORED_INT_MAX, description="The record's index in the log.")
]

# What the OpenAPI says of decimal inputs. Pydantic describes a Decimal as a number or a string matching `\d`, which
# admits digits of any script and any number of places, so generated "valid" values were refused; these say
# exactly what is accepted (a subset: a client keeping to them is never refused for the form of the value).
FRACTION_SCHEMA = {
    "type": "string",
    "pattern": r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$",
    "description": "A share between 0 and 1 with at most 6 decimals, e.g. 0.1 for 10 %.",
}
YUAN_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
POSITIVE_YUAN_PATTERN = r"^([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$"
YUAN_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
        {"type": "string", "pattern": YUAN_PATTERN},
    ],
    "description": 'Yuan with at most 2 decimals, best sent as a string ("1234.56") so no float is involved.',
}
Fraction = Annotated[Decimal, WithJsonSchema(FRACTION_SCHEMA)]
Yuan = Annotated[Decimal, WithJsonSchema(YUAN_SCHEMA)]
