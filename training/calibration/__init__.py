"""Calibration: the engine's decisions measured on edited real photos, and the radii chosen."""
