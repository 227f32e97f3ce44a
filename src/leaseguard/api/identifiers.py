"""Identifiers in paths: the server decodes %2F before routing, so `X%2Fpayments` and `X/payments` meet."""

from __future__ import annotations

from fastapi import Request


def names_the_sub_resource(request: Request, segment: str) -> bool:
    """Whether the path's last segment is the sub-resource `segment` as sent, not the end of an identifier
    that was sent with an encoded slash (an identifier like `HT/payments` arrives as `HT%2Fpayments`)."""
    raw = request.scope.get("raw_path")
    if not isinstance(raw, bytes):
        return True
    return raw.split(b"?", 1)[0].endswith(b"/" + segment.encode())
