"""Kivy screens of the scale: merchant touchscreen, customer display, technician settings.

Thin widgets over the plain-Python view models in ``edge.ui.model`` (docs/ui.md). Call
`boot.configure()` before anything opens the window.

Kivy reads these variables when it is first imported, which happens as soon as a module
of this package is: so they are set here, before any submodule imports Kivy.
"""

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")  # our own argparse owns sys.argv
# Kivy's default log mode swallows sys.stderr into its log file: our error messages must reach the terminal.
os.environ.setdefault("KIVY_LOG_MODE", "MIXED")
if not os.environ.get("TRACE_UI_DEBUG"):
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")  # no start-up banner; warnings still shown (boot.py)
