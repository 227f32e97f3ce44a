"""The HTTP API (FastAPI): API keys with tenant and role, problem+json errors, one router per domain."""

from leaseguard.api.app import create_app

__all__ = ["create_app"]
