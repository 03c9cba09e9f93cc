"""prescreen: pre-screening of professional-title application packets (command line and settings)."""

from pipeline import __version__

__all__ = ["__version__"]
