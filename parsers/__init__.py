"""Bytes in, data out: mail, PDF and spreadsheet parsers.

This package imports nothing from the rest of the project. Every parser returns a
frozen dataclass and never raises on bad input: what it could not read is listed in
a ``problems`` tuple instead.
"""
