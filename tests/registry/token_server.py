#!/usr/bin/env python3
"""token_server.py - a tiny Docker token issuer for the registry tests.

Usage: token_server.py KEY CERT ISSUER SERVICE USER:PASSWORD PORT_FILE LOG

Serves GET /token?service=S&scope=repository:NAME:ACTIONS on 127.0.0.1 on a
free port (written to PORT_FILE once listening), as Docker's token
authentication specification describes: it answers {"token", "access_token",
"expires_in", "issued_at"} with a JWT signed RS256 by KEY (through
`openssl dgst -sha256 -sign`, so that only the standard library is needed)
and CERT in its "x5c" header, which the registry checks against its
rootcertbundle.

Policy: anyone may pull repositories under "public/"; USER with PASSWORD
(HTTP Basic) may pull anything. Anonymous requests for other scopes get a
token with no access, as Docker Hub's do, so the registry answers 401
again. A wrong password is 401 here. Each request appends one line to LOG:
"<service> <scope...> <user or '-'>" (never the password).
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main(argv):
    if len(argv) != 8:
        sys.stderr.write(__doc__)
        return 2
    key, cert, issuer, service, userpass, port_file, log = argv[1:]
    with open(cert) as f:
        pem = f.read()
    der_b64 = "".join(line for line in pem.splitlines()
                      if line and not line.startswith("-----"))
    jti = [0]

    def sign(subject, access):
        now = int(time.time())
        jti[0] += 1
        header = {"typ": "JWT", "alg": "RS256", "x5c": [der_b64]}
        claims = {"iss": issuer, "sub": subject, "aud": service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": "cz-%d-%d" % (os.getpid(), jti[0]),
                  "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                             input=signing_input.encode(),
                             stdout=subprocess.PIPE, check=True).stdout
        return signing_input + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def reply(self, code, body, extra=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            if url.path != "/token":
                return self.reply(404, {"error": "not found"})
            user = None
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    pair = base64.b64decode(auth[6:]).decode()
                except Exception:
                    pair = ""
                if pair != userpass:
                    with open(log, "a") as f:
                        f.write("%s %s %s\n" % (query.get("service", ["-"])[0],
                                                "bad-credentials", "-"))
                    return self.reply(401, {"details": "bad credentials"},
                                      {"WWW-Authenticate": 'Basic realm="t"'})
                user = pair.split(":", 1)[0]
            scopes = query.get("scope", [])
            with open(log, "a") as f:
                f.write("%s %s %s\n" % (query.get("service", ["-"])[0],
                                        " ".join(scopes) or "-", user or "-"))
            access = []
            for scope in scopes:
                parts = scope.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                name = parts[1]
                if user or name.startswith("public/"):
                    access.append({"type": "repository", "name": name,
                                   "actions": ["pull"]})
            token = sign(user or "", access)
            self.reply(200, {"token": token, "access_token": token,
                             "expires_in": 300,
                             "issued_at": time.strftime(
                                 "%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    # the default backlog of 5 drops connections when 16 come at once
    http.server.ThreadingHTTPServer.request_queue_size = 128
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
