"""The one exception the printer package raises."""

from __future__ import annotations


class PrinterError(Exception):
    """A printer could not be reached or refused data; the message says what happened and what to do."""
