#!/usr/bin/env python3
"""delay_proxy.py - a TCP proxy on 127.0.0.1 that adds network latency.

Usage: delay_proxy.py UPSTREAM_PORT DELAY_MS PORT_FILE

Listens on 127.0.0.1 on a free port (written to PORT_FILE) and forwards
each connection to 127.0.0.1:UPSTREAM_PORT, holding every chunk DELAY_MS
in each direction, and the connection's setup one round trip: what a
registry DELAY_MS*2 away looks like. A registry on the loopback answers in
about a millisecond of its own CPU, so on a small machine it shows no
benefit from parallel requests, which exist to overlap round trips.
Standard library only; stops on SIGTERM.
"""
import asyncio
import os
import sys


async def pump(reader, writer, delay):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main(argv):
    upstream, delay, port_file = int(argv[1]), int(argv[2]) / 1000.0, argv[3]

    async def handle(reader, writer):
        await asyncio.sleep(2 * delay)   # the TCP handshake's round trip
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1",
                                                             upstream)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pump(reader, uwriter, delay),
                             pump(ureader, writer, delay))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=128)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.sockets[0].getsockname()[1])
    os.rename(tmp, port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    asyncio.run(main(sys.argv))
