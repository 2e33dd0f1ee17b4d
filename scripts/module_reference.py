"""Writes docs/modules.md from the modules' own DOCUMENTATION, with doc fragments applied.

    .venv/bin/python scripts/module_reference.py > docs/modules.md

tests/unit/test_module_reference.py fails when docs/modules.md differs from what
this prints, so the reference and the modules cannot drift apart.
"""

import ast
import pathlib
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
MODULES = ("bk_status", "bk_upgrade", "bk_rollback", "bk_deploy")


def literal(path, name):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node.value.value
    raise KeyError(name)


def fragment(reference):
    """The options a doc fragment such as bookkeeper.ops.cluster.wait adds."""
    parts = reference.split(".")
    if parts[:2] != ["bookkeeper", "ops"]:
        return {}
    source = REPO / "plugins" / "doc_fragments" / ("%s.py" % parts[2])
    variable = parts[3].upper() if len(parts) > 3 else "DOCUMENTATION"
    tree = ast.parse(source.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == variable for t in node.targets):
            return yaml.safe_load(node.value.value).get("options", {})
    raise KeyError(reference)


def options_of(module):
    documentation = yaml.safe_load(literal(REPO / "plugins" / "modules" / ("%s.py" % module), "DOCUMENTATION"))
    options = dict(documentation.get("options") or {})
    for reference in documentation.get("extends_documentation_fragment", []):
        options.update(fragment(reference))
    return documentation, options


def default(option):
    value = option.get("default")
    if value is None:
        return ""
    return '`""`' if value == "" else "`%s`" % value


def text(value):
    if isinstance(value, list):
        value = " ".join(value)
    return str(value).replace("\n", " ").replace("|", "\\|")


def render():
    lines = [
        "# Module reference",
        "",
        "Every option of every module, generated from the modules' DOCUMENTATION by",
        "`scripts/module_reference.py`; a unit test keeps the two the same.",
        "",
    ]
    for module in MODULES:
        documentation, options = options_of(module)
        lines += [
            "## bookkeeper.ops.%s" % module,
            "",
            text(documentation["short_description"]) + ".",
            "",
            "| Option | Type | Default | Aliases | Description |",
            "| --- | --- | --- | --- | --- |",
        ]
        for name in sorted(options):
            option = options[name]
            required = " (required)" if option.get("required") else ""
            lines.append(
                "| `%s`%s | %s | %s | %s | %s |"
                % (
                    name,
                    required,
                    option.get("type", "str"),
                    default(option),
                    ", ".join(option.get("aliases", [])),
                    text(option.get("description", "")),
                )
            )
            for sub in sorted(option.get("suboptions") or {}):
                detail = option["suboptions"][sub]
                lines.append(
                    "| `%s.%s`%s | %s | %s | | %s |"
                    % (
                        name,
                        sub,
                        " (required)" if detail.get("required") else "",
                        detail.get("type", "str"),
                        default(detail),
                        text(detail.get("description", "")),
                    )
                )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
