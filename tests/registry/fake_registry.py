#!/usr/bin/env python3
"""fake_registry.py - a registry that misbehaves, for what a real one won't do.

Usage: fake_registry.py PORT_FILE LOG

Listens on 127.0.0.1 on a free port and answers under /v2/fake/<case>/,
one case per repository (below). PORT_FILE gets three lines: that port,
the digest of the manifest it serves, and the port of a black hole: a
socket that listens with a full accept queue and never accepts, so that a
connection to it times out as one to a host that drops packets would.
Cases:

  badjson      tags/list is cut short: malformed JSON
  nulltags     tags/list has "tags": null (an empty repository)
  pages        tags/list in three pages: an absolute Link, then a relative
               one beside a rel="prev", then none
  offsite      tags/list links its next page to another host
  loop         tags/list links to itself
  nodigest     HEAD has no Docker-Content-Digest; GET returns a manifest
  html         HEAD has no digest; GET returns an HTML page
  mismatch     HEAD has no digest; GET's header is not the body's sha256
  baddigest    HEAD's Docker-Content-Digest is "nonsense"
  ratelimit    429 with Retry-After: 1 once, then the digest
  ratealways   429 with Retry-After: 0, always
  ratelong     429 with Retry-After: 3600
  flaky        503 (no Retry-After) twice, then the digest
  down         500, always
  slow         answers after 2 s
  forbidden    403 with an error body
  nochallenge  401 without WWW-Authenticate
  httprealm    401 with a Bearer challenge whose realm is plain HTTP

Every manifest request must Accept all four manifest types, or it gets 404
as distribution answers. Each request appends "METHOD PATH ACCEPT" to LOG.
Standard library only.
"""
import hashlib
import http.server
import json
import os
import socket
import sys
import threading
import time

TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": TYPES[2],
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "1" * 64, "size": 2},
    "layers": [],
}, indent=3).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
OTHER = "sha256:" + "2" * 64

counts = {}
lock = threading.Lock()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    port_file, log = argv[1], argv[2]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send(self, code, body=b"", headers=None, ctype=None):
            self.send_response(code)
            if ctype:
                self.send_header("Content-Type", ctype)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def tags(self, case, port):
            base = "/v2/fake/%s/tags/list" % case
            query = self.path.split("?", 1)[1] if "?" in self.path else ""
            link = None
            if case == "badjson":
                return self.send(200, b'{"name": "fake/badjson", "tags": ["a",',
                                 ctype="application/json")
            if case == "nulltags":
                body = {"name": "fake/nulltags", "tags": None}
            elif case == "pages":
                if query == "":
                    body = {"name": "fake/pages", "tags": ["a", "b"]}
                    link = ('<http://127.0.0.1:%d%s?last=b>; rel="next"'
                            % (port, base))
                elif query == "last=b":
                    body = {"name": "fake/pages", "tags": ["c", "d"]}
                    link = ('<%s>; rel="prev", <%s?last=d>; rel="next"'
                            % (base, base))
                else:
                    body = {"name": "fake/pages", "tags": ["e"]}
            elif case == "offsite":
                body = {"name": "fake/offsite", "tags": ["a"]}
                link = '<http://127.0.0.2:1%s?last=a>; rel="next"' % base
            elif case == "loop":
                body = {"name": "fake/loop", "tags": ["a"]}
                link = '<%s>; rel="next"' % base
            else:
                return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN",'
                                 b'"message":"repository name not known to '
                                 b'registry"}]}', ctype="application/json")
            headers = {"Link": link} if link else {}
            self.send(200, json.dumps(body).encode(), headers,
                      "application/json")

        def manifest(self, case):
            accept = self.headers.get("Accept", "")
            if not all(t in accept for t in TYPES):
                return self.send(404, ctype="application/json")
            ok = {"Docker-Content-Digest": DIGEST}
            mtype = TYPES[2]
            with lock:
                n = counts.get(case, 0)
                counts[case] = n + 1
            if case == "nodigest":
                return self.send(200, MANIFEST, ctype=mtype)
            if case == "html":
                body = b"<html><body>please log in</body></html>"
                if self.command == "HEAD":
                    return self.send(200, ctype="text/html")
                return self.send(200, body, ctype="text/html; charset=utf-8")
            if case == "mismatch":
                if self.command == "HEAD":
                    return self.send(200, ctype=mtype)
                return self.send(200, MANIFEST, {"Docker-Content-Digest":
                                                 OTHER}, mtype)
            if case == "baddigest":
                return self.send(200, MANIFEST,
                                 {"Docker-Content-Digest": "nonsense"}, mtype)
            if case == "ratelimit" and n == 0:
                return self.send(429, headers={"Retry-After": "1"})
            if case == "ratealways":
                return self.send(429, headers={"Retry-After": "0"})
            if case == "ratelong":
                return self.send(429, headers={"Retry-After": "3600"})
            if case == "flaky" and n < 2:
                return self.send(503)
            if case == "down":
                return self.send(500)
            if case == "slow":
                time.sleep(2)
            if case == "forbidden":
                return self.send(403, b'{"errors":[{"code":"DENIED","message"'
                                 b':"requested access to the resource is '
                                 b'denied"}]}', ctype="application/json")
            if case == "nochallenge":
                return self.send(401)
            if case == "httprealm":
                return self.send(401, headers={
                    "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:1/'
                                        'token",service="fake"'})
            self.send(200, MANIFEST, ok, mtype)

        def do_GET(self):
            with open(log, "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path,
                                        self.headers.get("Accept", "-")))
            parts = self.path.split("?", 1)[0].split("/")
            port = self.server.server_address[1]
            # ['', 'v2', 'fake', CASE, 'manifests'|'tags', ...]
            if len(parts) >= 6 and parts[1:3] == ["v2", "fake"]:
                if parts[4] == "tags" and parts[5] == "list":
                    return self.tags(parts[3], port)
                if parts[4] == "manifests":
                    return self.manifest(parts[3])
            if self.path == "/v2/":
                return self.send(200, b"{}", ctype="application/json")
            self.send(404, b"{}", ctype="application/json")

        do_HEAD = do_GET

    # the default backlog of 5 drops connections when 16 come at once
    http.server.ThreadingHTTPServer.request_queue_size = 128
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    fillers = []
    for _ in range(4):   # fill the accept queue: later SYNs are dropped
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(hole.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n%s\n%d\n" % (server.server_address[1], DIGEST,
                                   hole.getsockname()[1]))
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
