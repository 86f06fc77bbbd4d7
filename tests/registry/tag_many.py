#!/usr/bin/env python3
"""tag_many.py - pushes COUNT distinct manifests under COUNT tags, quickly.

Usage: tag_many.py HOST:PORT REPOSITORY BASE_TAG COUNT PREFIX

Reads the OCI manifest that BASE_TAG names (pushed before with skopeo, so
its blobs are in REPOSITORY), and PUTs COUNT copies of it, each made
distinct by an annotation, as PREFIX000, PREFIX001, ... over plain HTTP
with 8 connections at once: seconds where 200 skopeo runs take half a
minute. Prints "TAG DIGEST" per tag, DIGEST being the sha256 of the bytes
sent, checked against the registry's Docker-Content-Digest. Standard
library only; for a registry without auth on 127.0.0.1.
"""
import concurrent.futures
import hashlib
import http.client
import json
import sys

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def main(argv):
    if len(argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    hostport, repo, base, count, prefix = argv[1:]
    host, port = hostport.rsplit(":", 1)

    def conn():
        return http.client.HTTPConnection(host, int(port), timeout=10)

    c = conn()
    c.request("GET", "/v2/%s/manifests/%s" % (repo, base),
              headers={"Accept": OCI_MANIFEST})
    r = c.getresponse()
    if r.status != 200:
        sys.stderr.write("tag_many.py: GET %s:%s: HTTP %d\n"
                         % (repo, base, r.status))
        return 1
    manifest = json.loads(r.read())
    c.close()

    def push(i):
        tag = "%s%03d" % (prefix, i)
        m = dict(manifest)
        m["annotations"] = {"org.example.composure.seq": str(i)}
        body = json.dumps(m, indent=2).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        cc = conn()
        cc.request("PUT", "/v2/%s/manifests/%s" % (repo, tag), body=body,
                   headers={"Content-Type": OCI_MANIFEST})
        rr = cc.getresponse()
        rr.read()
        cc.close()
        got = rr.getheader("Docker-Content-Digest")
        if rr.status != 201 or got != digest:
            raise RuntimeError("PUT %s: HTTP %d, digest %s" %
                               (tag, rr.status, got))
        return tag, digest

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for tag, digest in pool.map(push, range(int(count))):
            print(tag, digest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
