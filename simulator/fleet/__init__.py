"""A fleet of virtual scales against a real central (``python -m simulator fleet``)."""
