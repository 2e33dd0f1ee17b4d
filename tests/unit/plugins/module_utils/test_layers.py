"""The layers of module_utils, as its folders show them, checked from each file's imports.

core/ is pure: it imports the standard library, Ansible's own module_utils and other core files, never the rollout
loop, the edge, a client library, a socket or a process. rollout/ drives the core through the adapter it declares:
nothing of the edge or of the world. Only edge/ talks to the world.
"""

import ast
import pathlib

import pytest

MODULE_UTILS = pathlib.Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
PREFIX = "ansible_collections.bookkeeper.ops.plugins.module_utils."
# What talks to the world: client libraries, sockets, processes.
WORLD = ("kubernetes", "urllib3", "requests", "http", "socket", "subprocess", "ansible.module_utils.urls")
# What each layer may import from this collection.
ALLOWED = {"core": ("core",), "rollout": ("core", "rollout")}


def imports(path):
    """Every module ``path`` imports, as dotted names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + ["%s.%s" % (node.module, alias.name) for alias in node.names]
    return found


def layer_files(layer):
    return sorted((MODULE_UTILS / layer).glob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_beneath_it_and_no_client_library(layer):
    wrong = []
    for path in layer_files(layer):
        for name in imports(path):
            talks_to_the_world = any(name == world or name.startswith(world + ".") for world in WORLD)
            crosses_up = name.startswith(PREFIX) and name[len(PREFIX) :].split(".")[0] not in ALLOWED[layer]
            if talks_to_the_world or crosses_up:
                wrong.append("%s imports %s" % (path.name, name))
    assert layer_files(layer) and not wrong


def test_every_file_of_module_utils_sits_in_a_layer():
    loose = sorted(path.name for path in MODULE_UTILS.glob("*.py"))
    assert loose == [], "module_utils holds only the layers' folders"


def test_the_check_sees_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from %sedge.k8s import http_door\nimport kubernetes.client\n" % PREFIX)
    assert imports(sample) == [PREFIX + "edge.k8s", PREFIX + "edge.k8s.http_door", "kubernetes.client"]
