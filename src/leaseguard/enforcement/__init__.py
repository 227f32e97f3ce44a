"""Enforcement: claims on defaulted leases, case files, recovery tracking."""
