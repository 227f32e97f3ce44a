"""Importers for the data-contract files (CSV and XLSX): validated per row, loaded per file, idempotent."""

from leaseguard.ingest.kinds import KIND_NAMES
from leaseguard.ingest.reports import FileReport, RowError, write_error_report
from leaseguard.ingest.service import import_file, import_paths

__all__ = ["KIND_NAMES", "FileReport", "RowError", "import_file", "import_paths", "write_error_report"]
