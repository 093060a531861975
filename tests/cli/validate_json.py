#!/usr/bin/python3
"""validate_json.py SCHEMA DOCUMENT: checks a JSON document against a JSON Schema, the subset the
project's schemas use (type, const, enum, required, properties, additionalProperties, items,
minItems, minimum, minLength, pattern), and that no object has two keys differing only by case.
Prints every violation with its path; exits 1 if there is any."""
import json
import re
import sys

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def is_type(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def check(value, schema, path, errors):
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(is_type(value, n) for n in names):
            errors.append(f"{path}: {value!r} is not of type {schema['type']}")
            return
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and "minimum" in schema:
        if value < schema["minimum"]:
            errors.append(f"{path}: {value} is below {schema['minimum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: {value!r} is shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                check(item, schema["items"], f"{path}[{i}]", errors)
    if isinstance(value, dict):
        lowered = {}
        for key in value:
            if key.lower() in lowered:
                errors.append(f"{path}: keys {lowered[key.lower()]!r} and {key!r} differ only by case")
            lowered[key.lower()] = key
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: lacks {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                check(item, props[key], f"{path}.{key}", errors)
            elif extra is False:
                errors.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                check(item, extra, f"{path}.{key}", errors)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: validate_json.py SCHEMA DOCUMENT")
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    with open(sys.argv[2]) as f:
        document = json.load(f)
    errors = []
    check(document, schema, "$", errors)
    for e in errors:
        print(e)
    if errors:
        sys.exit(1)
    print(f"{sys.argv[2]} follows {schema.get('$id', sys.argv[1])}")


if __name__ == "__main__":
    main()
