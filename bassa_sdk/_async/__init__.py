"""The SDK's I/O, written once for asyncio; `bassa_sdk/_sync/` is generated from it (unasync)."""
