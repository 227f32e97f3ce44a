"""Running the API under uvicorn, for `leaseguard serve` and `leaseguard demo`."""

from __future__ import annotations

import uvicorn

from leaseguard.api.app import create_app


def run_server(
    database_url: str, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"
) -> None:
    """Serve the API over `database_url` until interrupted."""
    uvicorn.run(create_app(database_url), host=host, port=port, log_level=log_level, proxy_headers=False)
