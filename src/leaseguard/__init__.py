"""leaseguard — risk control for financial leasing and consumer lending."""

__version__ = "0.1.0"
