"""The `leaseguard` command line (Typer + Rich): thin commands over the capability services."""
