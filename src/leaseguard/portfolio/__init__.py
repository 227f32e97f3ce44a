"""Rent schedules, payments, days past due, classification and provisions of a lease book."""
