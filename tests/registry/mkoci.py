#!/usr/bin/env python3
"""mkoci.py - builds a tiny OCI image layout for the registry tests.

Usage: mkoci.py DIR SPEC...

Each SPEC is KIND:NAME:SEED[:BYTES] and adds one reference NAME (the
org.opencontainers.image.ref.name annotation, what `skopeo copy
oci:DIR:NAME` picks) to the layout in DIR, created or extended:

  oci        one OCI image manifest (linux/amd64)
  oci-index  an OCI image index of two OCI manifests (linux/amd64, arm64)
  docker     one Docker manifest v2 schema 2
  docker-list a Docker manifest list of two Docker manifests

SEED makes the content (and so every digest) distinct: each image has one
gzip'ed tar layer holding a file with the seed in it, and a config.
BYTES adds a file of that many bytes that gzip cannot shrink (a SHA-256
chain from the seed), so that images differ in size as real ones do. Gzip
and tar headers carry no time stamps, so a layout is the same bytes on
every run. Prints one line per SPEC on stdout:

  NAME DIGEST MEDIA-TYPE [CHILD-DIGEST...]

where DIGEST is sha256 of the manifest or index bytes written, which is
the digest a registry must report for the tag once skopeo pushed the
reference without conversion. Python standard library only.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def blob(root, data):
    """Writes data as a blob and returns its descriptor's digest and size."""
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def dumps(obj):
    return json.dumps(obj, indent=2, sort_keys=False).encode()


def noise(seed, size):
    """size bytes that do not compress: SHA-256 blocks chained from seed."""
    out, block = bytearray(), hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def add_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def image(root, seed, arch, docker, pad=0):
    """Writes layer, config and manifest; returns the manifest descriptor."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        add_file(tar, "seed.txt",
                 ("composure test image %s %s\n" % (seed, arch)).encode())
        if pad:
            add_file(tar, "payload.bin", noise(seed + arch, pad))
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    layer = blob(root, gzip.compress(raw.getvalue(), mtime=0))
    layer["mediaType"] = DOCKER_LAYER if docker else OCI_LAYER
    config = blob(root, dumps({
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["CZ_SEED=%s" % seed]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }))
    config["mediaType"] = DOCKER_CONFIG if docker else OCI_CONFIG
    manifest = {
        "schemaVersion": 2,
        "mediaType": DOCKER_MANIFEST if docker else OCI_MANIFEST,
        "config": config,
        "layers": [layer],
    }
    desc = blob(root, dumps(manifest))
    desc["mediaType"] = manifest["mediaType"]
    desc["platform"] = {"architecture": arch, "os": "linux"}
    return desc


def index(root, seed, docker, pad=0):
    children = [image(root, seed, arch, docker, pad)
                for arch in ("amd64", "arm64")]
    doc = {
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST if docker else OCI_INDEX,
        "manifests": children,
    }
    desc = blob(root, dumps(doc))
    desc["mediaType"] = doc["mediaType"]
    return desc, children


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    root = argv[1]
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    index_path = os.path.join(root, "index.json")
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            top = json.load(f)
    for spec in argv[2:]:
        kind, name, seed = spec.split(":", 2)
        seed, _, pad = seed.partition(":")
        pad = int(pad or 0)
        children = []
        if kind == "oci":
            desc = image(root, seed, "amd64", False, pad)
        elif kind == "docker":
            desc = image(root, seed, "amd64", True, pad)
        elif kind == "oci-index":
            desc, children = index(root, seed, False, pad)
        elif kind == "docker-list":
            desc, children = index(root, seed, True, pad)
        else:
            sys.stderr.write("mkoci.py: unknown kind '%s'\n" % kind)
            return 2
        desc.pop("platform", None)
        desc["annotations"] = {"org.opencontainers.image.ref.name": name}
        top["manifests"] = [m for m in top["manifests"]
                            if m.get("annotations", {}).get(
                                "org.opencontainers.image.ref.name") != name]
        top["manifests"].append(desc)
        print(" ".join([name, desc["digest"], desc["mediaType"]] +
                       [c["digest"] for c in children]))
    with open(index_path, "wb") as f:
        f.write(dumps(top))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
