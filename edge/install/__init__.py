"""Preparing a scale's Linux for kiosk use (``python -m edge install``) and talking to systemd."""
