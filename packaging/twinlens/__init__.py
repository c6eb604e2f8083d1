"""Twinlens: find duplicate, near-duplicate and similar photos, and search a library by example.

The top-level package only groups ``twinlens.engine`` (headless core), ``twinlens.desktop``
(PySide6 app) and ``twinlens.training`` (model training); it imports none of them.
"""

__version__ = "0.1.0"
