"""A small JSON-schema checker for the subset ``report.schema.json`` uses.

Supports ``type`` (one or a list), ``properties``, ``required``,
``additionalProperties`` (bool or schema), ``items``, ``enum``, ``minimum``,
``maximum``, ``anyOf`` and local ``$ref`` ("#/$defs/Name"). Enough to test that reports
follow the schema without a new dependency.
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema_errors"]

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
                  path: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, as "path: problem" lines (empty when valid)."""
    root = schema if root is None else root
    if "$ref" in schema:
        return schema_errors(value, _resolve(schema["$ref"], root), root, path)
    if "anyOf" in schema:
        tries = [schema_errors(value, option, root, path) for option in schema["anyOf"]]
        if not any(not t for t in tries):
            return [f"{path}: matches none of anyOf: " + " | ".join("; ".join(t) for t in tries)]
    errors: list[str] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_TYPES[n](value) for n in names):
            return [f"{path}: expected {'/'.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                errors.append(f"{path}: missing required key {key!r}")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                errors.extend(schema_errors(item, props[key], root, f"{path}.{key}"))
            elif extra is False:
                errors.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                errors.extend(schema_errors(item, extra, root, f"{path}.{key}"))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(schema_errors(item, schema["items"], root, f"{path}[{i}]"))
    return errors
