#!/usr/bin/env python3
"""compose_schema_check.py SCHEMA FILE... - validates compose files against
a JSON schema (the compose spec's, or a docker stack file's) with an
independent validator (Debian's
python3-jsonschema over python3-yaml). Prints one line per invalid file and
exits 1 if any is invalid."""
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """SafeLoader that reads compose's !reset and !override tags as the
    value they carry, as compose itself does for a single file."""


def _tagged(loader, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


for tag in ("!reset", "!override"):
    Loader.add_constructor(tag, _tagged)


def main():
    import json
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    # the compose spec's schema is draft 7, docker/cli's stack schemas
    # draft 4: each is read as the draft it declares
    draft4 = "draft-04" in schema.get("$schema", "")
    validator = (jsonschema.Draft4Validator if draft4
                 else jsonschema.Draft7Validator)(schema)
    bad = 0
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=Loader)
        errors = sorted(validator.iter_errors(doc), key=lambda e: e.path)
        for e in errors[:5]:
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}: {where}: {e.message}")
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
