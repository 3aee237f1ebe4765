"""Plain-Python view models of the scale app (docs/ui.md); no Kivy import anywhere here."""
