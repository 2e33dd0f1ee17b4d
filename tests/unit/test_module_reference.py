"""docs/modules.md is what scripts/module_reference.py makes of the modules' DOCUMENTATION."""

import importlib.util
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_the_module_reference_matches_the_modules_documentation():
    spec = importlib.util.spec_from_file_location("module_reference", REPO / "scripts" / "module_reference.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    expected = reference.render()
    assert (REPO / "docs" / "modules.md").read_text() == expected, (
        "docs/modules.md is stale: run .venv/bin/python scripts/module_reference.py > docs/modules.md"
    )
    for module in reference.MODULES:
        assert "## bookkeeper.ops.%s" % module in expected
    assert "| `kubeconfig` | raw |" in expected and "| `health_check.type` (required) | str |" in expected
