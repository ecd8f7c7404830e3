"""A small TCP fault proxy on asyncio: pass, latency, blackhole, reset, mute.

It listens on a loopback port and forwards to a target port, in a thread of its own, so a drill
can switch faults while traffic flows:

- ``pass``: forward as is;
- ``latency``: hold every chunk ``latency_s`` before forwarding it;
- ``blackhole``: forward nothing, in either direction, and answer nothing (bytes wait in the proxy, as
  packets wait in a partitioned network's retransmissions, and flow again when the mode changes);
- ``reset``: abort every connection with a TCP RST, and reset new ones at once;
- ``mute``: forward requests but swallow every answer (the client's response is lost).

Usage::

    proxy = FaultProxy(target_port=5432).start()
    proxy.set_mode("blackhole"); ...; proxy.set_mode("pass")
    proxy.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from typing import Literal

Mode = Literal["pass", "latency", "blackhole", "reset", "mute"]
CHUNK = 65536


class FaultProxy:
    """Loopback TCP proxy whose fault mode can be switched from any thread."""

    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1", latency_s: float = 0.05) -> None:
        self.target = (target_host, target_port)
        self.latency_s = latency_s
        self.mode: Mode = "pass"
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._flowing: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultproxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> FaultProxy:
        """Listen on a free loopback port (``self.port``)."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        return self

    def stop(self) -> None:
        """Close everything and end the thread."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def set_mode(self, mode: Mode, latency_s: float | None = None) -> None:
        """Switch the fault; ``reset`` also aborts every open connection."""
        if latency_s is not None:
            self.latency_s = latency_s
        asyncio.run_coroutine_threadsafe(self._switch(mode), self._loop).result(10)

    async def _switch(self, mode: Mode) -> None:
        self.mode = mode
        assert self._flowing is not None
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == "reset":
            for writer in list(self._writers):
                _abort(writer)

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            _abort(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "reset":
            _abort(writer)
            return
        assert self._flowing is not None
        await self._flowing.wait()  # a blackholed connect hangs until the network heals
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _abort(writer)
            return
        self._writers.update((writer, up_writer))
        try:
            await asyncio.gather(self._pump(reader, up_writer, upstream=True),
                                 self._pump(up_reader, writer, upstream=False))
        finally:
            self._writers.difference_update((writer, up_writer))
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, upstream: bool) -> None:
        assert self._flowing is not None
        try:
            while data := await src.read(CHUNK):
                await self._flowing.wait()
                if self.mode == "latency":
                    await asyncio.sleep(self.latency_s)
                if self.mode == "mute" and not upstream:
                    continue
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended: end the other (an abort stays an abort).
            with contextlib.suppress(Exception):
                if self.mode == "reset":
                    _abort(dst)
                else:
                    dst.close()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0) instead of FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
