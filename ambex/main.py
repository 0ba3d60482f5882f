"""ambex's loop: SIGHUP (from diagd) or a changed manifest → load → check → swap → push. Handlers only enqueue."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from ambex.loader import LoadError, ManifestLoader
from ambex.server import AdsServicer, serve
from ambex.settings import AmbexSettings
from ambex.status import StatusReporter
from watt.formats.atomic import atomic_write

__all__ = ["run"]

log = logging.getLogger("ambex")

RELOAD, STOP = "reload", "stop"


class Ambex:
    def __init__(self, settings: AmbexSettings, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.layout = settings.layout
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.reporter = StatusReporter(self.layout.ambex_status_file, schedule=lambda f: loop.call_soon(f))
        self.servicer = AdsServicer(self.reporter)
        self.loader = ManifestLoader(self.layout)
        self._manifest_mtime: int | None = None

    def reload(self) -> None:
        try:
            self._manifest_mtime = os.stat(self.layout.manifest_file).st_mtime_ns
            loaded = self.loader.load()
        except (LoadError, OSError) as exc:
            log.warning("keeping the current configuration: %s", exc)
            self.reporter.load_failed(str(exc))
            return
        snapshot = loaded.snapshot
        problems = snapshot.check_consistent()
        if problems:
            log.error("inconsistent configuration #%d, keeping the current one: %s", snapshot.seq, "; ".join(problems))
            self.reporter.load_failed("; ".join(problems))
            return
        previous = self.servicer.snapshot
        self.reporter.loaded(version=snapshot.version, seq=snapshot.seq)
        if previous is not None and previous.version == snapshot.version:
            log.debug("configuration #%d is unchanged (version %s)", snapshot.seq, snapshot.version)
        else:
            log.info("configuration #%d loaded: version %s (%d files parsed)", snapshot.seq, snapshot.version,
                     loaded.parsed)
        self.servicer.set_snapshot(snapshot)

    async def poll_manifest(self) -> None:
        """A backstop for a lost SIGHUP: reload when the manifest's mtime moves."""
        while True:
            await asyncio.sleep(self.settings.poll_interval)
            try:
                mtime = os.stat(self.layout.manifest_file).st_mtime_ns
            except OSError:
                continue
            if mtime != self._manifest_mtime:
                self.queue.put_nowait(RELOAD)

    async def loop(self) -> None:
        while True:
            events = {await self.queue.get()}
            while not self.queue.empty():
                events.add(self.queue.get_nowait())
            if STOP in events:
                return
            self.reload()


async def run(settings: AmbexSettings) -> int:
    loop = asyncio.get_running_loop()
    ambex = Ambex(settings, loop)
    settings.layout.ensure()
    handlers = {signal.SIGHUP: RELOAD, signal.SIGTERM: STOP, signal.SIGINT: STOP}
    for signum, event in handlers.items():
        loop.add_signal_handler(signum, ambex.queue.put_nowait, event)
    try:
        server = await serve(ambex.servicer, settings.ads_address, settings.ads_port)
    except RuntimeError as exc:
        log.error("%s", exc)
        return 3
    atomic_write(settings.layout.ambex_pidfile, f"{os.getpid()}\n".encode("ascii"))
    log.info("serving ADS on %s:%d (pid %d)", settings.ads_address, settings.ads_port, os.getpid())
    ambex.queue.put_nowait(RELOAD)
    poller = asyncio.create_task(ambex.poll_manifest())
    try:
        await ambex.loop()
    finally:
        poller.cancel()
        _remove(settings.layout.ambex_pidfile)
        await server.stop(grace=1.0)
        ambex.reporter.flush()
    return 0


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
