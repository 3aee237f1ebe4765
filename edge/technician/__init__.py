"""Technician tools (issue 7): ``configure``, ``provision`` and ``doctor``.

Plain Python without Kivy: the same steps a technician does on the scale's screen
(edge/ui/model/technician.py), from a laptop's terminal.
"""
