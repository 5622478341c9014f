"""The version of functrans (one place; the disk cache keys on it)."""
__version__ = "0.1.0"
