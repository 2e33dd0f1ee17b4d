"""CHANGELOG.rst and the next release, as antsibull-changelog makes them from changelogs/."""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
ANTSIBULL_CHANGELOG = os.path.join(os.path.dirname(sys.executable), "antsibull-changelog")


def run(*args, cwd):
    result = subprocess.run([ANTSIBULL_CHANGELOG, *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def section(changelog, version):
    """The text of one version's section of a CHANGELOG.rst."""
    match = re.search(r"^v%s\n=+\n(.*?)(?=^v\d[^\n]*\n=+\n|\Z)" % re.escape(version), changelog, re.S | re.M)
    assert match, "no section for v%s" % version
    return match.group(1)


def test_the_committed_changelog_is_what_antsibull_changelog_generates(tmp_path):
    run("generate", "--output", str(tmp_path / "CHANGELOG.rst"), cwd=REPO)
    assert (REPO / "CHANGELOG.rst").read_text() == (tmp_path / "CHANGELOG.rst").read_text(), (
        "CHANGELOG.rst is stale: run .venv/bin/antsibull-changelog generate"
    )


def test_the_first_release_lists_every_module_and_role():
    released = section((REPO / "CHANGELOG.rst").read_text(), "1.0.0")
    modules = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("bk_*.py"))
    roles = sorted(path.name for path in (REPO / "roles").iterdir() if (path / "meta" / "argument_specs.yml").exists())
    assert modules and roles
    assert re.findall(r"^- (\w+) - ", released.split("New Modules")[1].split("New Roles")[0], re.M) == modules
    assert re.findall(r"^- (\w+) - ", released.split("New Roles")[1], re.M) == roles


def test_a_release_adds_the_fragments_and_keeps_the_first_release_as_it_is(tmp_path):
    """``antsibull-changelog release`` on a copy of the collection, as the next release would run it."""
    copy = tmp_path / "ansible_collections" / "bookkeeper" / "ops"
    for name in ("galaxy.yml", "meta", "plugins", "roles", "changelogs"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            copy.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, copy / name)
    fragments = sorted((REPO / "changelogs" / "fragments").glob("*.yml"))
    assert fragments, "the next release has no fragments to test with"
    run("release", "--version", "1.1.0", "--date", "2026-12-01", cwd=copy)
    changelog = (copy / "CHANGELOG.rst").read_text()
    assert section(changelog, "1.0.0") == section((REPO / "CHANGELOG.rst").read_text(), "1.0.0")
    upcoming = " ".join(section(changelog, "1.1.0").split())
    for fragment in fragments:
        for entries in yaml.safe_load(fragment.read_text()).values():
            for entry in entries:
                assert " ".join(entry.split()) in upcoming, "%s: %r is not in the release" % (fragment.name, entry)
    assert "New Modules" not in section(changelog, "1.1.0") and "New Roles" not in section(changelog, "1.1.0")
    # Every plugin a user calls is announced in the release that brought it (its version_added).
    helpers = {"action", "doc_fragments", "module_utils", "plugin_utils"}
    for plugin in (REPO / "plugins").glob("*/*.py"):
        if plugin.parent.name not in helpers and plugin.name != "__init__.py":
            assert "\n- %s - " % plugin.stem in changelog, "%s is in no release" % plugin.relative_to(REPO)
