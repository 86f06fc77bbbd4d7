#!/usr/bin/env python3
"""redirect_front.py - an HTTP front on 127.0.0.1 that sends every request
elsewhere, as registries send blob and manifest requests to their storage.

Usage: redirect_front.py UPSTREAM_PORT PORT_FILE LOG

Listens on 127.0.0.1 on a free port (written to PORT_FILE) and answers
every GET and HEAD with "307 Temporary Redirect" to the same path and query
on 127.0.0.1:UPSTREAM_PORT (another host:port, as blob storage is), and
logs one line per request ("METHOD PATH") to LOG, so that the test can
tell the client came here first. Standard library only; stops on SIGTERM.
"""
import http.server
import os
import sys


def main(argv):
    upstream, port_file, log_path = int(argv[1]), argv[2], argv[3]
    log = open(log_path, "a", buffering=1)

    class Front(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def redirect(self):
            log.write("%s %s\n" % (self.command, self.path))
            self.send_response(307)
            self.send_header("Location",
                             "http://127.0.0.1:%d%s" % (upstream, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_HEAD = redirect

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
