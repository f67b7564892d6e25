"""The fast proof that a request matches the input schema, generated from the schema.

``json.match_schema`` compiles the published schema on every evaluation where OPA has no
inter-query cache (``opa bench``, ``opa eval``, an SDK-embedded engine) and walks it
generically everywhere: it is most of a decision's cost. The engine first asks a rule
generated from the schema by this module, ``data.trustpolicy.engine.input.conforms``, which
proves a request valid with a few direct checks per field; only when it cannot (any problem,
anything it does not understand) does ``json.match_schema`` decide and name every problem. So
the answer never changes: what the generated rule accepts the schema accepts, which
``tests/test_conforms.py`` checks against ``jsonschema`` and ``json.match_schema`` on
generated documents. The rule is committed beside ``input.rego``; the same test fails when it
is not what this module generates from the schema in the bundle (regenerate with
``make conforms``).

Only the keywords the input schema uses are understood (:data:`KEYWORDS`); a schema using any
other keyword is refused here rather than half-checked.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

#: The JSON Schema keywords the generated check implements; anything else is refused.
KEYWORDS = frozenset(
    {
        "$schema", "$id", "title", "description", "type", "additionalProperties", "required",
        "properties", "items", "enum", "minLength", "maxLength", "pattern", "format", "maxItems",
    }
)  # fmt: skip

SCHEMA_PATH = Path("policies/trustpolicy/schema/input/data.json")
TARGET_PATH = Path("policies/trustpolicy/engine/input/conforms.rego")

_HEADER = """\
# Code generated from policies/trustpolicy/schema/input/data.json by
# trustpolicy.authoring._conforms (make conforms); DO NOT EDIT.
#
# conforms is a fast proof that the request matches the input schema: each field present
# is checked by the one function body of its name (an unknown field matches none). Where
# it cannot prove the request valid it is undefined and json.match_schema decides and names
# every problem (input.rego), so it never changes an answer: what it accepts, the schema
# accepts (tests/test_conforms.py).
package trustpolicy.engine.input

"""


class SchemaNotUnderstood(ValueError):
    """The schema uses something the generated check does not implement."""


def _rego(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _raw(pattern: str) -> str:
    """A Rego raw string: the pattern as written, no escapes to undo."""
    if "`" in pattern:
        return _rego(pattern)
    return f"`{pattern}`"


def _set(values: list[str]) -> str:
    return "{" + ", ".join(_rego(v) for v in values) + "}"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.functions: dict[str, list[list[str]]] = {}
        self.count = 0

    def var(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("\t" * depth + text)

    def value(self, node: dict[str, Any], ref: str, depth: int, where: str) -> None:
        """Checks that ``ref`` (an expression that is defined) satisfies ``node``."""
        unknown = set(node) - KEYWORDS
        if unknown:
            raise SchemaNotUnderstood(f"{where}: keywords {sorted(unknown)} are not implemented")
        kind = node.get("type")
        if kind == "object":
            self.object(node, ref, depth, where)
        elif kind == "array":
            self.array(node, ref, depth, where)
        elif kind == "string":
            self.string(node, ref, depth, where)
        elif kind == "boolean":
            self.emit(depth, f"is_boolean({ref})")
        else:
            raise SchemaNotUnderstood(f"{where}: type {kind!r} is not implemented")
        for keyword in ("enum", "minLength", "maxLength", "pattern", "format"):
            if keyword in node and kind != "string":
                raise SchemaNotUnderstood(f"{where}: {keyword} on a {kind}")

    def string(self, node: dict[str, Any], ref: str, depth: int, where: str) -> None:
        if "enum" in node:
            if not all(isinstance(v, str) for v in node["enum"]):
                raise SchemaNotUnderstood(f"{where}: an enum of other than strings")
            # Membership of a set of strings: a value of any other type is not in it.
            self.emit(depth, f"{ref} in {_set(node['enum'])}")
            if set(node) & {"minLength", "maxLength", "pattern", "format"}:
                raise SchemaNotUnderstood(f"{where}: an enum with other string keywords")
            return
        pattern = node.get("pattern")
        class_plus = re.fullmatch(r"\^(\[[^\]]*\])\+\$", pattern) if pattern else None
        if class_plus and "format" not in node:
            # One regular expression for the pattern and both lengths: ^[class]+$ with
            # minLength a and maxLength b is ^[class]{a,b}$ (Go counts code points, as
            # JSON Schema does); it is undefined for anything but a string.
            low = max(1, int(node.get("minLength", 1)))
            high = int(node["maxLength"]) if "maxLength" in node else ""
            bounded = f"^{class_plus.group(1)}{{{low},{high}}}$"
            self.emit(depth, f"regex.match({_raw(bounded)}, {ref})")
            return
        self.emit(depth, f"is_string({ref})")
        if "minLength" in node:
            self.emit(depth, f"count({ref}) >= {int(node['minLength'])}")
        if "maxLength" in node:
            self.emit(depth, f"count({ref}) <= {int(node['maxLength'])}")
        if pattern:
            self.emit(depth, f"regex.match({_raw(pattern)}, {ref})")
        if "format" in node:
            if node["format"] != "date-time":
                raise SchemaNotUnderstood(f"{where}: format {node['format']!r}")
            # OPA's date-time check takes every time Go reads as RFC 3339, and more.
            self.emit(depth, f"time.parse_rfc3339_ns({ref})")

    def array(self, node: dict[str, Any], ref: str, depth: int, where: str) -> None:
        self.emit(depth, f"is_array({ref})")
        if "maxItems" in node:
            self.emit(depth, f"count({ref}) <= {int(node['maxItems'])}")
        if "items" not in node:
            raise SchemaNotUnderstood(f"{where}: an array without items")
        item = self.var("item")
        self.emit(depth, f"every {item} in {ref} {{")
        self.value(node["items"], item, depth + 1, f"{where}[]")
        self.emit(depth, "}")

    def object(self, node: dict[str, Any], ref: str, depth: int, where: str) -> None:
        """An object: its required fields present, each field it has checked by its key.

        One function body per field name, which OPA's rule index finds directly: an unknown
        key matches no body, and an absent field costs nothing.
        """
        if node.get("additionalProperties") is not False:
            raise SchemaNotUnderstood(f"{where}: an object that admits unknown fields")
        properties: dict[str, Any] = node.get("properties", {})
        required = list(node.get("required", ()))
        if not set(required) <= set(properties):
            raise SchemaNotUnderstood(f"{where}: a required field without a schema")
        name = "_conforms" + (
            "_" + re.sub(r"\W", "_", where.replace("[]", "_item")) if where else ""
        )
        bodies = self.functions.setdefault(name, [])  # grouped by name, outermost first
        # every over anything but an object or an array would hold vacuously.
        self.emit(depth, f"is_object({ref})")
        for key in required:
            field = f"{ref}.{key}" if key.isidentifier() else f"{ref}[{_rego(key)}]"
            self.emit(depth, f"_ = {field}")
        key, value = self.var("key"), self.var("value")
        self.emit(depth, f"every {key}, {value} in {ref} {{")
        self.emit(depth + 1, f"{name}({key}, {value})")
        self.emit(depth, "}")
        outer, self.lines = self.lines, []
        for field, sub in properties.items():
            self.emit(0, f"{name}({_rego(field)}, value) if {{")
            self.value(sub, "value", 1, f"{where}.{field}" if where else field)
            self.emit(0, "}")
            bodies.append(self.lines)
            self.lines = []
        self.lines = outer


def render(schema: dict[str, Any]) -> str:
    """The Rego of ``conforms`` for ``schema`` (the published input schema)."""
    writer = _Writer()
    writer.emit(0, "conforms if {")
    writer.value(schema, "input", 1, "")
    writer.emit(0, "}")
    blocks = [writer.lines, *(body for group in writer.functions.values() for body in group)]
    return _HEADER + "\n\n".join("\n".join(block) for block in blocks) + "\n"


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path.cwd()
    schema = json.loads((root / SCHEMA_PATH).read_text("utf-8"))
    (root / TARGET_PATH).write_text(render(schema), "utf-8")
    sys.stdout.write(f"wrote {root / TARGET_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
