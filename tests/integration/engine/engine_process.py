"""Run an engine alone in its own process, until SIGTERM (tests kill it with SIGKILL instead).

Usage: python -m tests.integration.engine.engine_process DATA_DIR
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from .harness import Harness, engine_settings


async def main(data_dir: Path) -> None:
    """Start the engine on `data_dir` and stop it cleanly on SIGTERM."""
    harness = Harness(engine_settings(data_dir))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await harness.engine.start()
    await stop.wait()
    await harness.engine.stop()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
