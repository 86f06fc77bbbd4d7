#!/usr/bin/env python3
"""decisions_check.py - does composure's migration of real projects hold up
in front of a production reviewer?

    decisions_check.py corpus --bin COMPOSURE --schema SCHEMA
                       --projects DIR --corpus DIR --expected FILE [--update]
    decisions_check.py check ORIGINAL_DIR MIGRATED_DIR FILE...
    decisions_check.py selftest

`corpus` migrates every project folder under --projects as a user would
(in the folder of its main compose file, so that the auto-loaded override
comes with it; every other compose file as its own run, an override file
together with the base it overrides; a `docker-compose.override.yaml-sample`
installed as the override it is a sample of), and every compose file under
--corpus in its own folder. Each run: the diff applies with `git apply`, the
result validates against the compose schema (no error the original lacked),
a second run changes nothing, and the result holds none of the decisions a
reviewer rejects (see the CHECKS below). Every problem is one line,
`project/file: service: what [check-id]`.

The lines listed in --expected (today's known failures) are accepted and
reported as "known"; a new line, or a listed line that no longer occurs,
fails the run, so that the list only shrinks. --update rewrites the list
(by hand, after reading the new lines; refused when CI is set).

`check` compares one original tree with its migrated copy (the FILEs are the
compose files of one run, relative to both dirs) and prints the rejected
decisions: the same checks, for use on any output.

`selftest` runs every check on small made-up pairs, both sides (a case that
must be flagged and one that must not).

Exit status: 0 all good (or only known failures), 1 failures, 2 usage.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compose_schema_check import Loader as ComposeLoader  # noqa: E402

# The names `docker compose` loads by itself from a folder, in its order:
# the first two kinds are main files, the last four overrides.
AUTO_MAIN = ("compose.yaml", "compose.yml",
             "docker-compose.yaml", "docker-compose.yml")
AUTO_OVERRIDE = ("compose.override.yaml", "compose.override.yml",
                 "docker-compose.override.yaml", "docker-compose.override.yml")
SAMPLE_SUFFIXES = ("-sample", ".sample", ".example", ".dist")

# ---- what a service is -----------------------------------------------------

# Stores: databases, brokers, search engines, caches, tracing all-in-ones,
# mail catchers, push gateways, metric/log stores, object stores, K/V stores.
STATEFUL_FAMILY = re.compile(
    r"postgres|postgis|timescale|pgautoupgrade|mysql|mariadb|percona|mongo|"
    r"redis|valkey|keydb|dragonfly|memcached|rabbitmq|kafka|zookeeper|"
    r"elasticsearch|opensearch|solr|influxdb|neo4j|clickhouse|cassandra|"
    r"scylla|couchdb|couchbase|cockroach|arangodb|mssql|activemq|artemis|"
    r"mosquitto|emqx|pulsar|nats|minio|etcd|consul|vault|mailhog|mailpit|"
    r"redpanda|maildev|mailcatcher|smtp4dev|jaeger|zipkin|pushgateway|"
    r"prometheus|alertmanager|loki|tempo")
# Tools that sit beside a store and keep nothing themselves.
STATELESS_COMPANION = re.compile(
    r"exporter|express|commander|admin|insight|[-_]ui$|^ui[-_]|webui|"
    r"[-_]hq$|[-_]rest$|connect|[-_]proxy$|router|postgrest|kafdrop|"
    r"cerebro")
DB_TOKEN = re.compile(r"(^|[-_/])(db|database)($|[-_])")
STORE_COMMANDS = {"postgres", "mysqld", "mariadbd", "mongod", "redis-server",
                  "valkey-server", "memcached", "rabbitmq-server",
                  "zookeeper-server-start.sh", "kafka-server-start.sh"}
AGENT = re.compile(
    r"node[-_]?exporter|cadvisor|promtail|filebeat|metricbeat|auditbeat|"
    r"packetbeat|journalbeat|fluent-?bit|fluentd|telegraf|datadog|dd-agent|"
    r"docker-gen|logspout|dockerd-exporter|^datadog(hq)?/agent$")
ONE_SHOT_TOKEN = re.compile(
    r"^(migrat\w*|init\w*|setup\w*|seed\w*|\w*beat|schedul\w*|cron\w*)$")
ONE_SHOT_COMMAND = re.compile(r"(^|\s)(beat|scheduler|crond?)(\s|$)")
CONFIG_SEGMENTS = {"conf", "config", "configs", "conf.d", "configuration",
                   "provisioning", "docker-entrypoint-initdb.d", "initdb.d",
                   "rules", "templates", "dashboards", "pipeline",
                   "pipelines", "settings"}
# Parts of a folder name that say what it holds wherever they appear in it
# ('grafana-import-dashboards').
CONFIG_PARTS = ("dashboards", "provisioning", "initdb", "settings")
# A bind source with one of these extensions is a file, present or not.
FILE_EXTENSIONS = re.compile(
    r"\.(sql|gz|xz|bz2|zst|zip|tar|json|ya?ml|conf|cfg|cnf|ini|toml|xml|"
    r"properties|env|js|py|rb|php|lua|sh|txt|pem|crt|key|htpasswd)$", re.I)
# Certificate folders are input when the project supplies them; an absent,
# writable one is where the container keeps what it obtains (ACME storage).
CERT_SEGMENTS = {"certs", "cert", "certificates", "ssl", "tls", "keys",
                 "secrets"}


def image_repo(image):
    """'reg:5000/a/b:tag@sha256:…' -> 'reg:5000/a/b', lower case."""
    if not isinstance(image, str):
        return ""
    ref = image.split("@", 1)[0].lower()
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        # a ':' inside '${VAR:-x}' is not a tag separator unless it follows
        # the closing brace of the name part
        brace = ref.rfind("${", 0, colon)
        if brace == -1 or "}" in ref[brace:colon]:
            ref = ref[:colon]
        else:
            ref = ref[:brace].rstrip(":")
    return ref


def name_tokens(name):
    return [t for t in re.split(r"[-_.]", str(name).lower()) if t]


# Image names that say nothing without their organisation
# ('jaegertracing/all-in-one', 'mcr.microsoft.com/mssql/server').
GENERIC_NAMES = {"server", "all-in-one", "agent", "standalone", "core"}


def image_name(repo):
    """The part of an image repository that names the software."""
    parts = repo.split("/")
    if len(parts) > 1 and parts[-1] in GENERIC_NAMES:
        return "/".join(parts[-2:])
    return parts[-1]


def is_store_name(text):
    """text (an image repository or a service name) names a store."""
    name = image_name(text)
    if STATELESS_COMPANION.search(name):
        return False
    return bool(STATEFUL_FAMILY.search(name) or DB_TOKEN.search(name))


def words(value):
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value).split()


# ---- reading files ---------------------------------------------------------

class NodeLoader(ComposeLoader):
    """The compose loader; used for composing (node trees with marks)."""


def load(path):
    with open(path, "rb") as f:
        return yaml.load(f, Loader=ComposeLoader)


def compose_nodes(text):
    return yaml.compose(text, Loader=NodeLoader)


def is_compose_file(path):
    try:
        doc = load(path)
    except Exception:  # not YAML we can read: not a compose file
        return False
    return isinstance(doc, dict) and isinstance(doc.get("services"), dict)


def read_text(path, limit=1 << 20):
    try:
        if os.path.getsize(path) > limit:
            return ""
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# ---- the merged view of one run ---------------------------------------------

def merge(base, over):
    """compose's merge, roughly: mappings recursively, sequences appended
    (compose de-duplicates ports and volumes by target; the checks only ask
    whether something is present), scalars replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else v
        return out
    if isinstance(base, list) and isinstance(over, list):
        return base + [v for v in over if v not in base]
    return over


def services_of(doc):
    s = doc.get("services") if isinstance(doc, dict) else None
    return s if isinstance(s, dict) else {}


def resolve_extends(root, relfile, name, svc, depth=0):
    """svc with its `extends:` (same file or another) merged under it."""
    ext = svc.get("extends") if isinstance(svc, dict) else None
    if not ext or depth > 5:
        return svc
    if isinstance(ext, str):
        ext = {"service": ext}
    other = relfile
    if ext.get("file"):
        other = os.path.normpath(os.path.join(os.path.dirname(relfile),
                                              ext["file"]))
    try:
        base = services_of(load(os.path.join(root, other))).get(ext["service"])
    except Exception:
        return svc
    if not isinstance(base, dict):
        return svc
    base = resolve_extends(root, other, ext["service"], base, depth + 1)
    return merge(base, {k: v for k, v in svc.items() if k != "extends"})


class View:
    """The documents of one run's files under root, and their merged
    services (with `extends:` resolved)."""

    def __init__(self, root, files):
        self.root = root
        self.docs = {}
        for f in files:
            try:
                self.docs[f] = load(os.path.join(root, f))
            except Exception:
                self.docs[f] = None
        merged = {}
        for f in files:
            for name, svc in services_of(self.docs[f]).items():
                if not isinstance(svc, dict):
                    svc = {}
                svc = resolve_extends(root, f, name, svc)
                merged[name] = merge(merged[name], svc) if name in merged \
                    else svc
        self.services = merged
        self.top_volumes = {}
        for f in files:
            v = self.docs[f].get("volumes") if isinstance(self.docs[f], dict) \
                else None
            if isinstance(v, dict):
                self.top_volumes.update({k: (d or {}) for k, d in v.items()})
        # the folder every relative path of the run is relative to
        self.base_dir = os.path.join(root, os.path.dirname(files[0]))

    def build_of(self, name):
        """(context dir, Dockerfile path) of the service's image: its own
        build, or the build of a service that produces the image it runs."""
        svc = self.services.get(name) or {}
        build = svc.get("build")
        if build is None and svc.get("image"):
            for other in self.services.values():
                if isinstance(other, dict) and other.get("build") is not None \
                        and other.get("image") == svc.get("image"):
                    build = other["build"]
                    break
        if build is None:
            return None
        if isinstance(build, str):
            build = {"context": build}
        ctx = os.path.join(self.base_dir, str(build.get("context", ".")))
        dockerfile = os.path.join(ctx, str(build.get("dockerfile",
                                                     "Dockerfile")))
        return ctx, dockerfile

    def final_stage(self, name):
        """The instructions of the built image's final stage, and of the
        stages it starts FROM (a HEALTHCHECK is inherited)."""
        b = self.build_of(name)
        if not b:
            return []
        text = read_text(b[1])
        stages, current = {}, None
        order = []
        for line in re.sub(r"\\\n", " ", text).splitlines():
            parts = line.strip().split()
            if not parts or parts[0].startswith("#"):
                continue
            if parts[0].upper() == "FROM":
                args = [p for p in parts[1:] if not p.startswith("--")]
                alias = args[2].lower() if len(args) >= 3 and \
                    args[1].upper() == "AS" else str(len(order))
                current = {"from": args[0] if args else "", "lines": []}
                stages[alias] = current
                order.append(current)
            elif current is not None:
                current["lines"].append(parts)
        out, stage, seen = [], order[-1] if order else None, 0
        while stage and seen < 10:
            out.append(stage)
            stage = stages.get(stage["from"].lower())
            seen += 1
        return out

    def built_from(self, name):
        """The external image the service's Dockerfile builds on."""
        chain = self.final_stage(name)
        return chain[-1]["from"] if chain else ""

    def dockerfile_healthcheck(self, name):
        for stage in self.final_stage(name):
            for parts in reversed(stage["lines"]):
                if parts[0].upper() == "HEALTHCHECK":
                    return len(parts) < 2 or parts[1].upper() != "NONE"
        return False


# ---- the checks ------------------------------------------------------------

def replicas_of(svc):
    if not isinstance(svc, dict):
        return None
    deploy = svc.get("deploy") if isinstance(svc.get("deploy"), dict) else {}
    value = deploy.get("replicas", svc.get("scale"))
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def is_port_range(port):
    """'8000-8005' leaves room for replicas; '${PORT:-80}' is one port."""
    return "-" in re.sub(r"\$\{[^}]*\}", "", str(port))


def fixed_host_ports(svc):
    """The host ports the service publishes at a fixed number (a variable
    counts: it is one number once set). Ranges leave room for replicas."""
    out = []
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            pub = p.get("published")
            if pub not in (None, "") and not is_port_range(pub):
                out.append(str(pub))
            continue
        s = str(p).split("/", 1)[0]
        # [ip:]host:container, ip may be [v6]; a lone container port is
        # published on a random host port
        s = re.sub(r"^\[[^]]*\]:", "", s)
        parts = re.split(r":(?![^{]*})", s)
        if len(parts) >= 2:
            host = parts[-2]
            if host and not is_port_range(host):
                out.append(host)
    return out


def has_healthcheck(svc):
    hc = svc.get("healthcheck")
    if not isinstance(hc, dict) or hc.get("disable"):
        return False
    test = hc.get("test")
    if test is None:
        return False  # only timings: the image's check, if any
    first = test[0] if isinstance(test, list) and test else test
    return str(first).upper() != "NONE"


def healthy_targets(services):
    """Services that another waits on with `condition: service_healthy`
    (compose refuses that unless the image has a healthcheck)."""
    out = set()
    for svc in services.values():
        deps = svc.get("depends_on") if isinstance(svc, dict) else None
        if isinstance(deps, dict):
            for dep, cond in deps.items():
                if isinstance(cond, dict) and \
                        cond.get("condition") == "service_healthy":
                    out.add(dep)
    return out


def completed_targets(services):
    out = set()
    for svc in services.values():
        deps = svc.get("depends_on") if isinstance(svc, dict) else None
        if isinstance(deps, dict):
            for dep, cond in deps.items():
                if isinstance(cond, dict) and cond.get("condition") == \
                        "service_completed_successfully":
                    out.add(dep)
    return out


def store_reason(view, name, svc):
    """Why the service is a store, or None. A service built here is judged
    by what its Dockerfile builds on, not by the name given to the result
    (an 'etl-kafka' image is a Kafka client)."""
    if view.build_of(name):
        base = image_repo(view.built_from(name))
        if base and is_store_name(base):
            return f"built FROM '{base}', a store"
    else:
        repo = image_repo(svc.get("image"))
        if repo and is_store_name(repo):
            return f"image '{repo}' is a store"
    lname = str(name).lower()
    if not STATELESS_COMPANION.search(lname) and (
            DB_TOKEN.search(lname) or
            any(STATEFUL_FAMILY.match(t) for t in name_tokens(lname))):
        return f"service name '{name}' names a store"
    for key in ("command", "entrypoint"):
        w = words(svc.get(key))
        if w and os.path.basename(w[0]) in STORE_COMMANDS:
            return f"runs '{w[0]}'"
    return None


def agent_reason(view, name, svc):
    for what, text in (("image", image_name(image_repo(svc.get("image")))),
                       ("built FROM",
                        image_name(image_repo(view.built_from(name))))):
        if text and AGENT.search(text):
            return f"{what} '{text}' is a per-host agent"
    if any(AGENT.match(t) for t in [str(name).lower()] + name_tokens(name)):
        return f"service '{name}' is a per-host agent"
    return None


def one_shot_reason(view, name, svc, completed):
    restart = svc.get("restart", None)
    if restart is False or str(restart).strip("'\"") == "no":
        return 'restart: "no"'
    if name in completed:
        return "another service waits for it to complete"
    for t in name_tokens(name):
        if ONE_SHOT_TOKEN.match(t):
            return f"name '{name}' is a job or a singleton"
    cmd = " ".join(words(svc.get("command")))
    m = ONE_SHOT_COMMAND.search(cmd)
    if m:
        return f"command runs '{m.group(2)}'"
    return None


def check_replicas(out, label, view_o, view_m, fo, fm):
    completed = completed_targets(view_o.services)
    for name, msvc in services_of(fm).items():
        n = replicas_of(msvc)
        if n is None or n <= 1:
            continue
        if replicas_of(services_of(fo).get(name)) == n or \
                replicas_of(view_o.services.get(name)) == n:
            continue  # the user's own
        svc = view_m.services.get(name) or msvc
        ports = fixed_host_ports(svc)
        if ports:
            out.append((label, name, f"{n} replicas but publishes fixed host "
                        f"port {ports[0]}", "replicas.fixed-port"))
        why = store_reason(view_m, name, svc)
        if why:
            out.append((label, name, f"{n} replicas of a store ({why})",
                        "replicas.stateful"))
        why = agent_reason(view_m, name, svc)
        if why:
            out.append((label, name, f"{n} replicas of a per-host agent "
                        f"({why})", "replicas.agent"))
        why = one_shot_reason(view_m, name, svc, completed)
        if why:
            out.append((label, name, f"{n} replicas of a one-shot job or "
                        f"singleton ({why})", "replicas.one-shot"))
        if svc.get("container_name"):
            out.append((label, name, f"{n} replicas but keeps container_name "
                        f"'{svc['container_name']}'",
                        "replicas.container-name"))


def image_has_healthcheck(image):
    """The images of Docker's healthcheck/ organisation exist to add a
    HEALTHCHECK to the official ones."""
    return image_repo(image).startswith("healthcheck/")


def update_order(svc):
    deploy = svc.get("deploy") if isinstance(svc, dict) else None
    uc = deploy.get("update_config") if isinstance(deploy, dict) else None
    return uc.get("order") if isinstance(uc, dict) else None


def check_start_first(out, label, view_o, view_m, fo, fm):
    healthy = healthy_targets(view_o.services)
    for name, msvc in services_of(fm).items():
        if update_order(msvc) != "start-first" or \
                update_order(services_of(fo).get(name)) == "start-first":
            continue
        svc = view_m.services.get(name) or msvc
        if has_healthcheck(svc) or view_m.dockerfile_healthcheck(name) or \
                name in healthy or image_has_healthcheck(svc.get("image")):
            continue
        out.append((label, name, "update_config.order start-first without "
                    "a healthcheck", "update.start-first"))


WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


def parse_mount(m):
    """(source, target, read_only, type) of a volumes entry."""
    if isinstance(m, dict):
        src, tgt = m.get("source"), m.get("target")
        kind = m.get("type") or ("bind" if is_path(src) else "volume")
        return src, tgt, bool(m.get("read_only")), kind
    s = str(m)
    drive = ""
    if WINDOWS_PATH.match(s):
        drive, s = s[:2], s[2:]
    parts = re.split(r":(?![^{]*})", s)
    if len(parts) == 1:
        return None, parts[0], False, "volume"
    src = drive + parts[0]
    tgt = parts[1]
    if WINDOWS_PATH.match(tgt + "\\") and len(parts) > 2:  # C:\x:C:\y
        tgt = tgt + ":" + parts[2]
        parts = parts[:1] + [tgt] + parts[3:]
    mode = parts[2] if len(parts) > 2 else ""
    ro = "ro" in mode.split(",")
    return src, tgt, ro, "bind" if is_path(src) else "volume"


def is_path(src):
    if not isinstance(src, str) or not src:
        return False
    return src[0] in "./~$\\" or bool(WINDOWS_PATH.match(src))


def is_host_path(src):
    return src[0] in "/~\\" or bool(WINDOWS_PATH.match(src)) or \
        bool(re.match(r"^\$\{?(HOME|USERPROFILE)\b", src))


def config_like(target, source, source_dir):
    """The folder is configuration: mounted under /etc, or either side is a
    conf/config/provisioning/init-SQL/rules/templates/dashboards/settings
    folder, or a certificate/key folder whose files the project holds."""
    t = str(target).rstrip("/")
    if t == "/etc" or t.startswith("/etc/"):
        return True
    segs = [seg.lower() for seg in (t + "/" + str(source)).split("/")]
    if any(seg in CONFIG_SEGMENTS or any(p in seg for p in CONFIG_PARTS)
           for seg in segs):
        return True
    return any(seg in CERT_SEGMENTS for seg in segs) and \
        os.path.isdir(source_dir) and any(os.scandir(source_dir))


def mounts_by_target(svc):
    out = {}
    for m in (svc or {}).get("volumes") or [] if isinstance(svc, dict) else []:
        src, tgt, ro, kind = parse_mount(m)
        if tgt:
            out[str(tgt).rstrip("/") or "/"] = (src, ro, kind)
    return out


def check_mounts(out, label, view_o, view_m, fo, fm):
    for name, osvc in services_of(fo).items():
        before = mounts_by_target(osvc)
        after = mounts_by_target(services_of(fm).get(name))
        for tgt, (src, ro, kind) in before.items():
            if kind != "bind" or tgt not in after:
                continue
            nsrc, _, nkind = after[tgt]
            if nkind != "volume" or not nsrc:
                continue
            vol = view_m.top_volumes.get(nsrc) or {}
            opts = vol.get("driver_opts") if isinstance(vol, dict) else None
            bound = isinstance(opts, dict) and opts.get("device")
            full = os.path.join(view_o.base_dir, str(src))
            if os.path.isfile(full) or (not os.path.exists(full) and
                                        FILE_EXTENSIONS.search(str(src))):
                out.append((label, name, f"file '{src}' became named volume "
                            f"'{nsrc}' (a folder at {tgt})",
                            "volumes.file"))
            elif is_host_path(src) and not bound:
                out.append((label, name, f"host path '{src}' became named "
                            f"volume '{nsrc}'", "volumes.host-path"))
            elif (ro or config_like(tgt, src, full)) and not bound:
                what = "read-only" if ro else "configuration"
                out.append((label, name, f"{what} folder '{src}' ({tgt}) "
                            f"became named volume '{nsrc}'",
                            "volumes.config-dir"))


def name_pattern(name):
    return re.compile(r"(?<![A-Za-z0-9_.-])" + re.escape(name) +
                      r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9])")


def service_texts(svc):
    """The text of a service's settings that can name another container."""
    out = []
    env = svc.get("environment")
    if isinstance(env, dict):
        out += [f"{k}={v}" for k, v in env.items()]
    elif isinstance(env, list):
        out += [str(e) for e in env]
    for key in ("command", "entrypoint", "links", "external_links",
                "extra_hosts"):
        out += words(svc.get(key))
    hc = svc.get("healthcheck")
    if isinstance(hc, dict):
        out += words(hc.get("test"))
    labels = svc.get("labels")
    if isinstance(labels, dict):
        out += [f"{k}={v}" for k, v in labels.items()]
    elif isinstance(labels, list):
        out += [str(v) for v in labels]
    return out


def mounted_files(view, svc):
    """The configuration a service mounts from the project (single files,
    and the files of configuration or read-only folders; not code: a source
    file that names a host is not a client of it) and its env_files."""
    paths = []
    for m in svc.get("volumes") or []:
        src, tgt, ro, kind = parse_mount(m)
        if kind != "bind" or not src or src[0] != ".":
            continue
        full = os.path.normpath(os.path.join(view.base_dir, str(src)))
        if os.path.isfile(full) or (
                os.path.isdir(full) and
                not os.path.normpath(view.base_dir).startswith(full) and
                (ro or config_like(tgt, src, full))):
            paths.append(full)
    envf = svc.get("env_file")
    for e in (envf if isinstance(envf, list) else [envf] if envf else []):
        e = e.get("path") if isinstance(e, dict) else e
        paths.append(os.path.normpath(os.path.join(view.base_dir, str(e))))
    for full in paths:
        if not full.startswith(os.path.normpath(view.root)):
            continue
        if os.path.isfile(full):
            yield full
        elif os.path.isdir(full):
            for d, _, files in os.walk(full):
                for f in sorted(files)[:200]:
                    yield os.path.join(d, f)


def check_container_names(out, label, view_o, fo, fm):
    for name, osvc in services_of(fo).items():
        cname = osvc.get("container_name") if isinstance(osvc, dict) else None
        msvc = services_of(fm).get(name)
        if not cname or not isinstance(msvc, dict) or \
                msvc.get("container_name"):
            continue
        cname = str(cname)
        svc = view_o.services.get(name) or osvc
        aliases = {name}
        nets = svc.get("networks")
        if isinstance(nets, dict):
            for n in nets.values():
                if isinstance(n, dict):
                    aliases.update(str(a) for a in n.get("aliases") or [])
        if cname in aliases:
            continue  # the name still resolves
        pat = name_pattern(cname)
        users = []
        for other, osv in view_o.services.items():
            if other == name or not isinstance(osv, dict):
                continue
            if any(pat.search(t) for t in service_texts(osv)):
                users.append(f"service '{other}'")
        seen = set()
        for other, osv in view_o.services.items():
            if not isinstance(osv, dict):
                continue
            for path in mounted_files(view_o, osv):
                if path in seen:
                    continue
                seen.add(path)
                if pat.search(read_text(path)):
                    users.append(os.path.relpath(path, view_o.base_dir))
        if users:
            out.append((label, name, f"container_name '{cname}' removed but "
                        f"{users[0]} uses it", "container-name.referenced"))


# ---- comments --------------------------------------------------------------

def comment_spans(text, root):
    """(line, column, text, full_line) of every comment in text."""
    skip = []

    def walk(node):
        if isinstance(node, yaml.ScalarNode):
            if node.style in ("'", '"', "|", ">"):
                skip.append((node.start_mark.index, node.end_mark.index))
        elif isinstance(node, yaml.SequenceNode):
            for n in node.value:
                walk(n)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                walk(k)
                walk(v)
    if root is not None:
        walk(root)
    skip.sort()
    out, pos, line, si = [], 0, 0, 0
    for raw in text.splitlines(keepends=True):
        for i, ch in enumerate(raw):
            if ch != "#":
                continue
            at = pos + i
            while si < len(skip) and skip[si][1] <= at:
                si += 1
            if si < len(skip) and skip[si][0] <= at < skip[si][1]:
                continue
            if i == 0 or raw[i - 1] in " \t":
                out.append((line, i, raw[i:].rstrip("\r\n").strip(),
                            not raw[:i].strip()))
                break
        pos += len(raw)
        line += 1
    return out


def last_line(node):
    """The last line holding content of node (end marks of block
    collections point at the next token)."""
    if isinstance(node, yaml.ScalarNode):
        m = node.end_mark
        return m.line - 1 if m.column == 0 and m.line > node.start_mark.line \
            else m.line
    children = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [v for _, v in node.value] + [k for k, _ in node.value]
    if not children:
        return node.start_mark.line
    return max(last_line(c) for c in children)


def items(node, path=()):
    """(path, first line, last line, first column) of every mapping entry
    and sequence item below node."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            p = path + (("k", k.value if isinstance(k, yaml.ScalarNode)
                         else "?"),)
            yield p, k.start_mark.line, last_line(v), k.start_mark.column
            yield from items(v, p)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            p = path + (("i", i),)
            yield p, v.start_mark.line, last_line(v), v.start_mark.column
            yield from items(v, p)


def node_text(text, node):
    return " ".join(text[node.start_mark.index:node.end_mark.index].split())


def lookup(node, path):
    for kind, key in path:
        if kind == "k" and isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value
                         if isinstance(k, yaml.ScalarNode) and k.value == key),
                        None)
        elif kind == "i" and isinstance(node, yaml.SequenceNode):
            node = node.value[key] if key < len(node.value) else None
        else:
            return None
        if node is None:
            return None
    return node


class Removal:
    """Which items of the original are gone from the migrated file."""

    def __init__(self, otext, oroot, mtext, mroot):
        self.otext, self.oroot = otext, oroot
        self.mtext, self.mroot = mtext, mroot
        self.memo = {}

    def removed(self, path):
        """True when the item at path, or an item holding it, is gone: a
        mapping key no longer there, a sequence item that is nowhere in a
        sequence that got shorter."""
        for n in range(1, len(path) + 1):
            if self._gone(path[:n]):
                return True
        return False

    def _gone(self, path):
        if path in self.memo:
            return self.memo[path]
        parent_m = lookup(self.mroot, self._mapped(path[:-1]))
        kind, key = path[-1]
        if parent_m is None:
            gone = True
        elif kind == "k":
            gone = not isinstance(parent_m, yaml.MappingNode) or \
                all(k.value != key for k, _ in parent_m.value
                    if isinstance(k, yaml.ScalarNode))
        else:
            parent_o = lookup(self.oroot, path[:-1])
            if not isinstance(parent_m, yaml.SequenceNode):
                gone = True
            elif len(parent_m.value) >= len(parent_o.value):
                gone = False  # changed in place, not removed
            else:
                mine = node_text(self.otext, parent_o.value[key])
                gone = all(node_text(self.mtext, v) != mine
                           for v in parent_m.value)
        self.memo[path] = gone
        return gone

    def _mapped(self, path):
        """A sequence item's path in the migrated file: where its text is
        found (items before it may have gone), else the same index."""
        out = []
        for n, (kind, key) in enumerate(path):
            if kind == "i":
                po = lookup(self.oroot, path[:n])
                pm = lookup(self.mroot, tuple(out))
                if isinstance(po, yaml.SequenceNode) and \
                        isinstance(pm, yaml.SequenceNode):
                    mine = node_text(self.otext, po.value[key])
                    for j, v in enumerate(pm.value):
                        if node_text(self.mtext, v) == mine:
                            key = j
                            break
            out.append((kind, key))
        return tuple(out)


def check_comments(out, label, otext, mtext):
    try:
        oroot, mroot = compose_nodes(otext), compose_nodes(mtext)
    except yaml.YAMLError:
        return
    ocom = comment_spans(otext, oroot)
    mcount = collections.Counter(c[2] for c in comment_spans(mtext, mroot))
    lost = collections.Counter(c[2] for c in ocom) - mcount
    if not lost:
        return
    spans = list(items(oroot))
    removal = Removal(otext, oroot, mtext, mroot)
    lines = otext.splitlines()

    def allowed(line, col, full):
        inner = [s for s in spans if s[1] <= line <= s[2]]
        cands = [max(inner, key=lambda s: len(s[0]))] if inner else []
        if full:
            # a comment line indented under an item belongs to its block
            # (a commented-out entry after the last one)
            owner = [s for s in spans if s[1] < line and s[3] < col]
            if owner:
                cands.append(max(owner, key=lambda s: (s[1], len(s[0]))))
            # a comment line right above an item (no blank line between)
            # belongs to it; the comments that open the file are its
            # header, whatever key comes first
            nxt = line + 1
            while nxt < len(lines) and lines[nxt].strip().startswith("#"):
                nxt += 1
            starting = [s for s in spans if s[1] == nxt]
            if starting and spans[0][1] == nxt and \
                    not any(ln.strip() and not ln.lstrip().startswith("#")
                            for ln in lines[:line]):
                starting = []
            if starting:
                cands.append(min(starting, key=lambda s: len(s[0])))
        return any(removal.removed(c[0]) for c in cands)

    def service_at(line):
        inner = [s for s in spans if s[1] <= line <= s[2]]
        if not inner:
            after = [s for s in spans if s[1] > line]
            inner = [min(after, key=lambda s: s[1])] if after else []
        for s in sorted(inner, key=lambda s: len(s[0]), reverse=True):
            p = s[0]
            if len(p) >= 2 and p[0] == ("k", "services"):
                return str(p[1][1])
        return "-"

    for text, n in sorted(lost.items()):
        where = [c for c in ocom if c[2] == text]
        ok = sum(1 for c in where if allowed(c[0], c[1], c[3]))
        for c in where[:max(0, n - ok)]:
            shown = text if len(text) <= 70 else text[:67] + "..."
            out.append((label, service_at(c[0]), f"comment lost: {shown}",
                        "comments.lost"))


def check_run(orig_root, mig_root, files, prefix):
    """The rejected decisions in one run's migrated files."""
    out = []
    view_o, view_m = View(orig_root, files), View(mig_root, files)
    for f in files:
        label = f"{prefix}{f}"
        fo, fm = view_o.docs.get(f), view_m.docs.get(f)
        if not isinstance(fo, dict) or not isinstance(fm, dict):
            continue
        check_replicas(out, label, view_o, view_m, fo, fm)
        check_start_first(out, label, view_o, view_m, fo, fm)
        check_mounts(out, label, view_o, view_m, fo, fm)
        check_container_names(out, label, view_o, fo, fm)
        check_comments(out, label, read_text(os.path.join(orig_root, f)),
                       read_text(os.path.join(mig_root, f)))
    return out


# ---- running composure on the projects -------------------------------------

def compose_files(folder):
    """Compose files under folder (relative paths): YAML with a services
    mapping, wherever they are and whatever their name."""
    out = []
    for d, dirs, names in os.walk(folder):
        dirs[:] = sorted(x for x in dirs if x not in (".git", "node_modules"))
        for n in sorted(names):
            stem = n
            for suf in SAMPLE_SUFFIXES:
                if stem.endswith(suf) and stem[:-len(suf)] in AUTO_OVERRIDE:
                    stem = stem[:-len(suf)]
            if not stem.endswith((".yml", ".yaml")):
                continue
            p = os.path.join(d, n)
            if is_compose_file(p):
                out.append(os.path.relpath(p, folder))
    return out


def partial_services(doc):
    """Services that cannot run alone: no image, build or extends."""
    return {n for n, s in services_of(doc).items()
            if not isinstance(s, dict) or
            not ({"image", "build", "extends"} & set(s))}


def plan_runs(folder):
    """[(workdir, args, installs)]: the runs a user makes in folder.
    installs maps a sample file to the override name it is copied to."""
    by_dir = collections.defaultdict(list)
    for f in compose_files(folder):
        by_dir[os.path.dirname(f)].append(os.path.basename(f))
    runs = []
    for d, names in sorted(by_dir.items()):
        docs = {n: load(os.path.join(folder, d, n)) for n in names}
        mains = [n for n in AUTO_MAIN if n in names]
        main = mains[0] if mains else None
        if main:
            runs.append((d, [], {}))
        for n in names:
            if n == main or n in AUTO_OVERRIDE:
                continue
            stem = next((n[:-len(s)] for s in SAMPLE_SUFFIXES
                         if n.endswith(s)), None)
            if main and stem in AUTO_OVERRIDE:
                if stem not in names:
                    runs.append((d, [], {n: stem}))
                continue
            part = partial_services(docs[n])
            bases = [b for b in ([main] if main else []) + names
                     if b != n and b not in AUTO_OVERRIDE and part and
                     part <= set(services_of(docs[b]))]
            # composure migrate -f BASE -f OVERRIDE: one project, as
            # docker compose -f reads it
            runs.append((d, ["-f", bases[0], "-f", n] if bases else [n], {}))
    return runs


def run_files(workdir, args):
    if args:
        return [a for a in args if a != "-f"]
    found = [n for n in AUTO_MAIN if os.path.exists(os.path.join(workdir, n))]
    return found[:1] + [n for n in AUTO_OVERRIDE
                        if os.path.exists(os.path.join(workdir, n))]


def migrate(binary, workdir, args):
    p = subprocess.run([binary, "migrate", "--offline", "-q", *args],
                       cwd=workdir, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def schema_errors(validator, path):
    try:
        doc = load(path)
    except Exception as e:
        return {f"does not parse: {str(e).splitlines()[0]}"}
    return {"/".join(str(p) for p in e.absolute_path) + ": " + e.message[:100]
            for e in validator.iter_errors(doc)}


def one_run(ctx, label_root, src_folder, workdir, args, installs):
    """Migrates a copy of src_folder; appends its problems to ctx.flags."""
    tmp = tempfile.mkdtemp(dir=ctx.tmp)
    orig = os.path.join(tmp, "orig", os.path.basename(src_folder))
    work = os.path.join(tmp, "work", os.path.basename(src_folder))
    shutil.copytree(src_folder, orig, symlinks=True)
    for sample, name in installs.items():
        shutil.copyfile(os.path.join(orig, workdir, sample),
                        os.path.join(orig, workdir, name))
    shutil.copytree(orig, work, symlinks=True)
    wdir = os.path.join(work, workdir)
    files = [os.path.normpath(os.path.join(workdir, f))
             for f in run_files(wdir, args)]
    prefix = label_root + "/"
    # an installed sample is reported under its own name
    shown = {os.path.normpath(os.path.join(workdir, n)):
             os.path.normpath(os.path.join(workdir, sample))
             for sample, n in installs.items()}
    first = prefix + (files[0] if files else workdir)
    flags = ctx.flags
    ctx.runs += 1
    rc, diff, err = migrate(ctx.bin, wdir, args)
    if rc != 0:
        rule = re.findall(r"\[([\w.-]+)\]", err)
        flags.append((first, "-", f"migrate exits {rc}"
                      + (f" ({rule[-1]})" if rule else ""), "run.exit"))
        return
    if diff:
        # no repository above the copy: git apply takes paths from wdir,
        # or from the folder the diff's paths start in (cli.diff-root)
        env = dict(os.environ, GIT_CEILING_DIRECTORIES=ctx.tmp)
        up = re.search(r"reaches files (\d+) folders? above .*\[cli\.diff-root\]",
                       err)
        root = os.path.normpath(os.path.join(wdir, *[".."] * int(up.group(1)))) \
            if up else wdir
        p = subprocess.run(["git", "apply", "-"], cwd=root, input=diff,
                           capture_output=True, text=True, env=env)
        if p.returncode != 0:
            flags.append((first, "-", "git apply rejects the diff",
                          "run.apply"))
            return
    for f in files:
        new = schema_errors(ctx.validator, os.path.join(work, f)) - \
            schema_errors(ctx.validator, os.path.join(orig, f))
        for e in sorted(new)[:5]:
            flags.append((prefix + f, "-", f"schema: {e}", "run.schema"))
    rc, diff2, err = migrate(ctx.bin, wdir, args)
    if rc != 0 or diff2:
        changed = re.findall(r"^\+\+\+ b/(\S+)", diff2, re.M)
        flags.append((first, "-", "second run exits %d%s" % (
            rc, ", changes " + ", ".join(changed) if changed else ""),
            "run.idempotent"))
    flags.extend((prefix + shown.get(f[0][len(prefix):],
                                     f[0][len(prefix):]),) + f[1:]
                 for f in check_run(orig, work, files, prefix))


# Checks that can flag one service several times, each with its own text.
PER_ITEM = ("comments.lost", "volumes.config-dir", "volumes.host-path",
            "volumes.file", "run.schema")


def unique(flags):
    """One flag per file, service and check (the first run's wording: an
    override run may give another reason for the same decision)."""
    seen, out = set(), []
    for f in flags:
        key = (f[0], f[1], f[3], f[2] if f[3] in PER_ITEM else "")
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def format_flag(f):
    return f"{f[0]}: {f[1]}: {f[2]} [{f[3]}]"


def read_expected(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f
                if ln.strip() and not ln.startswith("#")]


EXPECTED_HEADER = """\
# Rejected decisions composure makes today on ../shared/projects and
# ../shared/corpus (tests/t_projects.sh, tests/decisions_check.py): accepted
# for now and reported as "known". A line that no longer occurs fails the
# test: delete it when a fix lands. Never add a line without reading it as
# a production reviewer would. Regenerate with
#   python3 tests/decisions_check.py corpus --update --bin build/composure \\
#     --schema .deps/compose.schema.json --projects ../shared/projects \\
#     --corpus ../shared/corpus \\
#     --expected tests/decisions_expected_failures.txt
"""


def cmd_corpus(a):
    class Ctx:
        pass
    ctx = Ctx()
    ctx.bin = os.path.abspath(a.bin)
    ctx.flags, ctx.runs = [], 0
    import json
    with open(a.schema, encoding="utf-8") as f:
        ctx.validator = jsonschema.Draft7Validator(json.load(f))
    os.environ["COMPOSURE_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        ctx.tmp = tmp
        # no registry and no user cache: pins come from lock files only
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        projects = sorted(d for d in os.listdir(a.projects)
                          if os.path.isdir(os.path.join(a.projects, d)))
        for p in projects:
            folder = os.path.join(a.projects, p)
            for workdir, args, installs in plan_runs(folder):
                one_run(ctx, p, folder, workdir, args, installs)
        corpus = sorted(set(os.path.dirname(f)
                            for f in compose_files(a.corpus)))
        for d in corpus:
            folder = os.path.join(a.corpus, d)
            for workdir, args, installs in plan_runs(folder):
                one_run(ctx, d, folder, workdir, args, installs)
    got = sorted(set(format_flag(f) for f in unique(ctx.flags)))
    expected = read_expected(a.expected)
    if a.update:
        if os.environ.get("CI"):
            print("decisions_check: --update refused when CI is set",
                  file=sys.stderr)
            return 2
        with open(a.expected, "w", encoding="utf-8") as f:
            f.write(EXPECTED_HEADER + "".join(g + "\n" for g in got))
        print(f"decisions_check: wrote {len(got)} lines to {a.expected}")
        return 0
    exp = set(expected)
    new = [g for g in got if g not in exp]
    known = [g for g in got if g in exp]
    fixed = sorted(exp - set(got))
    for g in known:
        print(f"known: {g}")
    for g in new:
        print(f"NEW:   {g}")
    for g in fixed:
        print(f"GONE:  {g}  (no longer occurs: delete it from {a.expected})")
    counts = collections.Counter(re.search(r"\[([\w.-]+)\]$", g).group(1)
                                 for g in got)
    per = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
    print(f"decisions_check: {ctx.runs} runs, {len(got)} rejected decisions "
          f"({per}); {len(known)} known, {len(new)} new, {len(fixed)} gone")
    return 1 if new or fixed else 0


def cmd_check(a):
    flags = check_run(a.original, a.migrated, a.files, "")
    for f in sorted(set(format_flag(f) for f in unique(flags))):
        print(f)
    return 1 if flags else 0


# ---- the checker's own test: every check fires, and only where it should ----

DEPLOY2 = "    deploy:\n      replicas: 2\n"
START_FIRST = "    deploy:\n      update_config:\n        order: start-first\n"
SELFTEST = [
    # (name, original, migrated, the check ids expected)
    ("fixed port",
     "services:\n  web:\n    image: app\n    ports: ['8080:80']\n",
     "services:\n  web:\n    image: app\n    ports: ['8080:80']\n" + DEPLOY2,
     {"replicas.fixed-port"}),
    ("fixed port from a variable",
     "services:\n  web:\n    image: app\n    ports:\n"
     "      - {target: 80, published: '${PORT:-80}'}\n",
     "services:\n  web:\n    image: app\n    ports:\n"
     "      - {target: 80, published: '${PORT:-80}'}\n" + DEPLOY2,
     {"replicas.fixed-port"}),
    ("port range", "services:\n  web:\n    image: app\n"
     "    ports: ['8000-8001:80']\n",
     "services:\n  web:\n    image: app\n    ports: ['8000-8001:80']\n"
     + DEPLOY2, set()),
    ("random port", "services:\n  web:\n    image: app\n    ports: ['80']\n",
     "services:\n  web:\n    image: app\n    ports: ['80']\n" + DEPLOY2,
     set()),
    ("user's own replicas",
     "services:\n  web:\n    image: app\n    ports: ['80:80']\n" + DEPLOY2,
     "services:\n  web:\n    image: app\n    ports: ['80:80']\n" + DEPLOY2,
     set()),
    ("store by variable tag",
     "services:\n  db:\n    image: postgis/postgis:${TAG}\n",
     "services:\n  db:\n    image: postgis/postgis:${TAG}\n" + DEPLOY2,
     {"replicas.stateful"}),
    ("store companion", "services:\n  ui:\n    image: mongo-express:1\n",
     "services:\n  ui:\n    image: mongo-express:1\n" + DEPLOY2, set()),
    ("agent", "services:\n  ne:\n    image: prom/node-exporter\n",
     "services:\n  ne:\n    image: prom/node-exporter\n" + DEPLOY2,
     {"replicas.agent"}),
    ("one-shot", "services:\n  job:\n    image: app\n    restart: 'no'\n"
     "  migrate:\n    image: app\n",
     "services:\n  job:\n    image: app\n    restart: 'no'\n" + DEPLOY2 +
     "  migrate:\n    image: app\n" + DEPLOY2, {"replicas.one-shot"}),
    ("start-first without healthcheck", "services:\n  web:\n    image: app\n",
     "services:\n  web:\n    image: app\n" + START_FIRST,
     {"update.start-first"}),
    ("start-first with healthcheck", "services:\n  web:\n    image: app\n",
     "services:\n  web:\n    image: app\n    healthcheck:\n"
     "      test: [CMD, true]\n" + START_FIRST, set()),
    ("start-first, HEALTHCHECK in the Dockerfile",
     "services:\n  web:\n    build: .\n",
     "services:\n  web:\n    build: .\n" + START_FIRST, set(),
     {"Dockerfile": "FROM alpine AS base\nHEALTHCHECK CMD true\n"
      "FROM base\nCMD [\"serve\"]\n"}),
    ("start-first, HEALTHCHECK NONE in the Dockerfile",
     "services:\n  web:\n    build: .\n",
     "services:\n  web:\n    build: .\n" + START_FIRST,
     {"update.start-first"},
     {"Dockerfile": "FROM alpine\nHEALTHCHECK NONE\n"}),
    ("replicas keep container_name",
     "services:\n  web:\n    image: app\n    container_name: web\n",
     "services:\n  web:\n    image: app\n    container_name: web\n"
     + DEPLOY2, {"replicas.container-name"}),
    ("config folder", "services:\n  web:\n    image: nginx\n    volumes:\n"
     "      - ./conf:/etc/nginx/conf.d:ro\n",
     "services:\n  web:\n    image: nginx\n    volumes:\n"
     "      - web_conf:/etc/nginx/conf.d:ro\nvolumes:\n  web_conf:\n",
     {"volumes.config-dir"}),
    ("data folder", "services:\n  web:\n    image: app\n    volumes:\n"
     "      - ./data:/var/lib/app\n",
     "services:\n  web:\n    image: app\n    volumes:\n"
     "      - web_data:/var/lib/app\nvolumes:\n  web_data:\n", set()),
    ("file", "services:\n  db:\n    image: app\n    volumes:\n"
     "      - ./dump.sql.xz:/dump.sql.xz\n",
     "services:\n  db:\n    image: app\n    volumes:\n"
     "      - dump:/dump.sql.xz\nvolumes:\n  dump:\n", {"volumes.file"}),
    ("home path", "services:\n  web:\n    image: app\n    volumes:\n"
     "      - ~/photos:/photos\n",
     "services:\n  web:\n    image: app\n    volumes:\n"
     "      - photos:/photos\nvolumes:\n  photos:\n", {"volumes.host-path"}),
    ("host path bound", "services:\n  web:\n    image: app\n    volumes:\n"
     "      - /srv/data:/data\n",
     "services:\n  web:\n    image: app\n    volumes:\n"
     "      - data:/data\nvolumes:\n  data:\n    driver: local\n"
     "    driver_opts: {type: none, o: bind, device: /srv/data}\n", set()),
    ("container name in use",
     "services:\n  db:\n    image: app\n    container_name: main-db\n"
     "  web:\n    image: app\n    environment:\n      DB_HOST: main-db\n",
     "services:\n  db:\n    image: app\n"
     "  web:\n    image: app\n    environment:\n      DB_HOST: main-db\n",
     {"container-name.referenced"}),
    ("container name unused",
     "services:\n  db:\n    image: app\n    container_name: main-db\n"
     "  web:\n    image: app\n    environment:\n      DB_HOST: db\n",
     "services:\n  db:\n    image: app\n"
     "  web:\n    image: app\n    environment:\n      DB_HOST: db\n", set()),
    ("container name in a mounted config",
     "services:\n  app:\n    image: app\n    container_name: shop-app\n"
     "  proxy:\n    image: nginx\n    volumes:\n"
     "      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n",
     "services:\n  app:\n    image: app\n"
     "  proxy:\n    image: nginx\n    volumes:\n"
     "      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n",
     {"container-name.referenced"},
     {"nginx.conf": "location / { proxy_pass http://shop-app:8000; }\n"}),
    ("comment lost", "services:\n  web:  # the shop\n    image: app\n",
     "services:\n  web:\n    image: app\n", {"comments.lost"}),
    ("comment of a removed item",
     "version: '3'  # old\nservices:\n  web:\n    image: app\n"
     "    volumes:\n      # the code\n      - .:/app\n      #- ./x:/x\n",
     "services:\n  web:\n    image: app\n", set()),
    ("file header above a removed key",
     "# the shop's stack\nversion: '3'\nservices:\n  web:\n    image: app\n",
     "services:\n  web:\n    image: app\n", {"comments.lost"}),
    ("comment in a quoted value", "services:\n  web:\n    image: app\n"
     "    command: 'run # not a comment'\n",
     "services:\n  web:\n    image: app\n    command: 'run'\n", set()),
]


# A stand-in for composure that makes one kind of run failure (CZ_FAKE).
FAKE_COMPOSURE = r"""#!/usr/bin/env python3
import os, sys
mode = os.environ["CZ_FAKE"]
lines = open("compose.yaml").read().splitlines()
n, last = len(lines), lines[-1]
hunk = "--- a/compose.yaml\n+++ b/compose.yaml\n@@ -%d,1 +%d,2 @@\n %s\n+%s"
if mode == "exit":
    sys.exit(3)
if mode == "apply":
    print(hunk % (n, n, "not: there", "x: 1"))
if mode == "again":
    print(hunk % (n, n, last, "    # once more"))
if mode == "schema" and "bogus" not in last:
    print(hunk % (n, n, last, "    bogus: 1"))
"""
SELFTEST_SCHEMA = {"type": "object", "properties": {"services": {
    "type": "object", "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {"image": {"type": "string"}}}}}}
SELFTEST_RUNS = [("clean", set()), ("exit", {"run.exit"}),
                 ("apply", {"run.apply"}), ("again", {"run.idempotent"}),
                 ("schema", {"run.schema"})]


def selftest_runs(tmp):
    """one_run's own checks (exit status, git apply, schema, idempotence),
    each made to fail by a stand-in binary."""
    class Ctx:
        pass
    ctx = Ctx()
    ctx.bin = os.path.join(tmp, "fake-composure")
    with open(ctx.bin, "w", encoding="utf-8") as f:
        f.write(FAKE_COMPOSURE)
    os.chmod(ctx.bin, 0o755)
    ctx.validator = jsonschema.Draft7Validator(SELFTEST_SCHEMA)
    ctx.tmp, ctx.runs = tmp, 0
    project = os.path.join(tmp, "project")
    os.makedirs(project)
    with open(os.path.join(project, "compose.yaml"), "w",
              encoding="utf-8") as f:
        f.write("services:\n  web:\n    image: app\n")
    bad = 0
    for mode, want in SELFTEST_RUNS:
        os.environ["CZ_FAKE"] = mode
        ctx.flags = []
        one_run(ctx, "p", project, "", [], {})
        got = {f[3] for f in ctx.flags}
        if got != want:
            print(f"selftest FAIL run '{mode}': flagged {sorted(got)}, "
                  f"expected {sorted(want)}")
            bad += 1
    del os.environ["CZ_FAKE"]
    return bad


def cmd_selftest(_):
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(SELFTEST):
            name, before, after, want = case[:4]
            extra = case[4] if len(case) > 4 else {}
            for side, text in (("o", before), ("m", after)):
                os.makedirs(os.path.join(tmp, str(n), side))
                for fname, content in [("compose.yaml", text)] + \
                        sorted(extra.items()):
                    with open(os.path.join(tmp, str(n), side, fname), "w",
                              encoding="utf-8") as f:
                        f.write(content)
            got = {f[3] for f in check_run(os.path.join(tmp, str(n), "o"),
                                           os.path.join(tmp, str(n), "m"),
                                           ["compose.yaml"], "")}
            if got != want:
                print(f"selftest FAIL {name}: flagged {sorted(got)}, "
                      f"expected {sorted(want)}")
                bad += 1
        bad += selftest_runs(tmp)
    total = len(SELFTEST) + len(SELFTEST_RUNS)
    print(f"decisions_check selftest: {total} cases, {bad} failed")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("--bin", required=True)
    c.add_argument("--schema", required=True)
    c.add_argument("--projects", required=True)
    c.add_argument("--corpus", required=True)
    c.add_argument("--expected", required=True)
    c.add_argument("--update", action="store_true")
    k = sub.add_parser("check")
    k.add_argument("original")
    k.add_argument("migrated")
    k.add_argument("files", nargs="+")
    sub.add_parser("selftest")
    a = ap.parse_args()
    return {"corpus": cmd_corpus, "check": cmd_check,
            "selftest": cmd_selftest}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
