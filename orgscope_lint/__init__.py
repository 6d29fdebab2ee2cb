"""orgscope-lint: find multi-tenant isolation bugs in Python backends."""

__version__ = "0.1.0"
