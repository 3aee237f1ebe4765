"""Over-the-air firmware updates into A/B slots (see edge.update.updater)."""
