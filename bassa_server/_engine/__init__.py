"""The download engine: aria2 over JSON-RPC, a continuous scheduler, recovery and retention.

The server's lifespan builds one `DownloadEngine(settings, session_factory, registry)` and
starts it; see docs/engine.md for how it works.
"""

from __future__ import annotations

from ._engine import DownloadEngine, default_engine_id

__all__ = ["DownloadEngine", "default_engine_id"]
