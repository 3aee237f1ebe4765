"""A vendor's day at the stall beside selling: real-name sign-in, own prices, goods-in.

Each service has one job and wires edge.core rules to the store, the device key and the
event log; the view models (edge.ui.model) and the headless console call them.
"""
