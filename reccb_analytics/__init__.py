"""reccb-analytics: Twilio call-recording analytics on DuckDB.

The public API is what ``__all__`` lists; everything else is private and may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .db import connect
from .exceptions import ReccbError

__all__ = ["__version__", "connect", "ReccbError"]
