"""Running the API under uvicorn, for `leaseguard serve` and `leaseguard demo`."""

from __future__ import annotations

import uvicorn

from leaseguard.api.app import create_app
from leaseguard.evidence.checkpoint import NoteSigner


def run_server(
    database_url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    evidence_signer: NoteSigner | None = None,
) -> None:
    """Serve the API over `database_url` until interrupted; decisions go to the evidence log when signed."""
    app = create_app(database_url, evidence_signer=evidence_signer, warm_register=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)
