"""The screening core: intake, pages, OCR, orientation, quality measures, reports.

Nothing in this package knows about Prefect; ``flows/`` wraps it.
"""

__version__ = "0.1.0"
