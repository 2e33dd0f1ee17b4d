"""What users get from this repository: the tarball `ansible-galaxy collection build` makes of a working tree (with
the caches a working tree collects), what galaxy-importer says of it, the build context of the execution environment
that ansible-builder makes of it offline, and what AWX installs when it syncs the project.

galaxy-importer runs from build/importer, a virtual environment of its own (requirements/importer.txt) that
`make unit` creates."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
IMPORTER = REPO / "build" / "importer" / "bin"
GALAXY = yaml.safe_load((REPO / "galaxy.yml").read_text())
TARBALL = "%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"])

# What may ship; '*' stands for one path component or part of one.
SHIPPED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "CHANGELOG.rst",
    "watches.yaml",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements/runtime.txt",
    "changelogs/changelog.yaml",
    "changelogs/config.yaml",
    "docs/*",
    "docs/*/*",
    "plugins/*/*.py",
    "plugins/*/*/*.py",
    "plugins/*/*/*/*.py",
    "roles/*/README.md",
    "roles/*/defaults/main.yml",
    "roles/*/vars/main.yml",
    "roles/*/meta/main.yml",
    "roles/*/meta/argument_specs.yml",
    "roles/*/tasks/*.yml",
    "roles/*/handlers/*.yml",
    "roles/*/templates/*.j2",
    "roles/*/files/*",
    "playbooks/*.yml",
    "playbooks/*/*.yml",
    "playbooks/*/*.j2",
    "rbac/*.yaml",
    "inventory/*.yml",
)
# What a working tree collects besides its files, planted in the copy the tarball is built from.
CACHES = (
    ".ansible/collections/ansible_collections/bookkeeper/ops",  # a link back to the top, as molecule leaves it
    ".pytest_cache/v/cache/nodeids",
    ".venv/bin/python",
    ".coverage",
    ".hypothesis/examples/x",
    ".ruff_cache/x",
    "build/links/x",
    "tests/output/x",
    "plugins/modules/__pycache__/bk_status.cpython-311.pyc",
    "roles/upgrade/.cache/x",
    TARBALL,
)


def shipped(name):
    return any(re.fullmatch(re.escape(pattern).replace(r"\*", "[^/]*"), name) for pattern in SHIPPED)


def run(*command, **kwargs):
    """``command`` with the environment of a user's shell: none of the test run's Ansible or Python paths."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON"))}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, check=False, env=env, **kwargs
    )


def members(tarball):
    with tarfile.open(tarball) as archive:
        return {member.name for member in archive.getmembers() if member.isfile()}


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the working tree, its caches included; .git, .venv and build are left out and stood in for."""
    tree = tmp_path_factory.mktemp("tree") / "bookkeeper.ops"
    shutil.copytree(REPO, tree, symlinks=True, ignore=shutil.ignore_patterns(".git", ".venv", "build"))
    for cache in CACHES:
        path = tree / cache
        path.parent.mkdir(parents=True, exist_ok=True)
        if cache.startswith(".ansible/"):
            if path.is_symlink() or path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
            path.symlink_to(tree)
        elif not path.exists():
            path.write_text("")
    return tree


@pytest.fixture(scope="module")
def tarball(tree):
    dist = tree.parent / "dist"
    built = run(BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, cwd=tree)
    assert built.returncode == 0, built.stdout + built.stderr
    return dist / TARBALL


def test_the_tarball_holds_what_users_need_and_nothing_else(tarball):
    names = members(tarball)
    assert sorted(name for name in names if not shipped(name)) == []
    roles = sorted(path.name for path in (REPO / "roles").iterdir())
    needed = {"README.md", "LICENSE", "meta/runtime.yml", "meta/execution-environment.yml"}
    needed |= {"roles/%s/%s" % (role, name) for role in roles for name in ("README.md", "meta/main.yml")}
    needed |= {"roles/%s/meta/argument_specs.yml" % role for role in roles}
    needed |= {
        str(path.relative_to(REPO)) for path in (REPO / "plugins").rglob("*.py") if "__pycache__" not in path.parts
    }
    needed |= {str(path.relative_to(REPO)) for path in (REPO / "playbooks").glob("*.yml")}
    # ansible-builder reads the collection's Python requirements from the file meta/execution-environment.yml names.
    needed.add(yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())["dependencies"]["python"])
    assert sorted(needed - names) == []


def test_galaxy_importer_accepts_the_tarball_without_a_warning(tarball, tmp_path):
    assert (IMPORTER / "python").exists(), "galaxy-importer is missing from %s: run make unit" % IMPORTER
    config = tmp_path / "galaxy-importer.cfg"
    # No ansible-test (it would want containers); ansible-lint and ansible-doc run as on Galaxy.
    config.write_text(
        "[galaxy-importer]\nrun_ansible_test = False\nansible_test_local_image = False\nlocal_image_docker = False\n"
        "run_ansible_lint = True\noffline_ansible_lint = True\ncheck_changelog = True\n"
    )
    result = run(
        IMPORTER / "python",
        "-m",
        "galaxy_importer.main",
        tarball,
        cwd=tmp_path,  # where it leaves importer_result.json
        env={"GALAXY_IMPORTER_CONFIG": str(config), "PATH": "%s:%s" % (IMPORTER, os.environ["PATH"])},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Importer processing completed successfully" in output
    assert [line for line in output.splitlines() if line.startswith(("WARNING", "ERROR"))] == [], output
    assert {
        role["name"]
        for role in yaml.safe_load((tmp_path / "importer_result.json").read_text())["contents"]
        if role["content_type"] == "role"
    } == {path.name for path in (REPO / "roles").iterdir()}


def pins(requirements):
    return dict(line.split("==") for line in requirements.read_text().splitlines() if "==" in line)


def test_ansible_builder_makes_the_execution_environment_context_offline(tarball, tmp_path):
    """The build context of execution-environment.yml, made with no network; then its galaxy stage (the collection's
    install from the tarball) and the introspection of its builder stage, run here as the image build runs them."""
    definition = tmp_path / "execution-environment.yml"
    shutil.copy(REPO / "execution-environment.yml", definition)
    (tmp_path / "build" / "dist").mkdir(parents=True)
    shutil.copy(tarball, tmp_path / "build" / "dist")
    context = tmp_path / "context"
    nowhere = "http://127.0.0.1:9"
    offline = {"HTTP_PROXY": nowhere, "HTTPS_PROXY": nowhere, "http_proxy": nowhere, "https_proxy": nowhere}
    created = run(
        BIN / "ansible-builder",
        "create",
        "--file",
        definition,
        "--context",
        context,
        "--output-filename",
        "Containerfile",
        env=offline,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Complete!" in created.stdout
    containerfile = (context / "Containerfile").read_text()
    build = context / "_build"
    dev = pins(REPO / "requirements" / "dev.txt")

    # A pinned base image, and the ansible-core and ansible-runner the tests run.
    base = re.search(r'^ARG EE_BASE_IMAGE="(.+)"$', containerfile, re.M).group(1)
    assert re.fullmatch(r"[\w.-]+(:\d+)?/[\w./-]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?", base), base
    assert "@sha256:" in base or base.rsplit(":", 1)[-1] not in ("latest", base), "base image %s is not pinned" % base
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="(.+)"$', containerfile, re.M).group(1).split()
    assert refs == ["ansible-core==%s" % dev["ansible-core"], "ansible-runner==%s" % dev["ansible-runner"]]
    assert "RUN $PYCMD -m pip install --no-cache-dir $ANSIBLE_INSTALL_REFS" in containerfile
    assert pins(build / "requirements.txt") == {"kubernetes": dev["kubernetes"]}

    # The collection, from the tarball in the context, copied into the final image.
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy == {"collections": [{"name": "collections/" + TARBALL, "type": "file"}]}
    assert (build / "collections" / TARBALL).read_bytes() == tarball.read_bytes()
    assert re.search(r"^COPY _build /build\nWORKDIR /build\n", containerfile, re.M)
    assert re.search(r"^RUN .*ansible-galaxy collection install .*-r requirements.yml", containerfile, re.M)
    final = containerfile[containerfile.index("FROM base AS final") :]
    assert "COPY --from=galaxy /usr/share/ansible /usr/share/ansible" in final

    # helm, built from the pinned Go module of the helm the tests run, with a pinned Go image.
    helm = (REPO / "scripts" / "cluster" / "versions.env").read_text()
    helm = re.search(r"^HELM_VERSION=(\S+)$", helm, re.M).group(1)
    stage = re.search(r"^FROM (\S+) AS helm\n((?:(?!FROM ).*\n)*)", containerfile, re.M)
    assert re.fullmatch(r"docker\.io/library/golang:\d+\.\d+\.\d+", stage.group(1))
    assert "ARG HELM_VERSION=%s\n" % helm in stage.group(2)
    assert "helm.sh/helm/v3/cmd/helm@v${HELM_VERSION}" in stage.group(2)
    assert "COPY --from=helm /out/helm /usr/local/bin/helm" in final
    assert "RUN helm version --short" in final

    # The galaxy stage's install, from the context directory as its WORKDIR, then the builder stage's introspection.
    collections = tmp_path / "usr-share-ansible" / "collections"
    env = dict(offline, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_GALAXY_DISABLE_GPG_VERIFY="1")
    installed = run(
        BIN / "ansible-galaxy",
        "collection",
        "install",
        "-r",
        "requirements.yml",
        "--collections-path",
        collections,
        cwd=build,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    manifest = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"] / "MANIFEST.json"
    assert yaml.safe_load(manifest.read_text())["collection_info"]["version"] == GALAXY["version"]
    introspected = run(
        sys.executable,
        build / "scripts" / "introspect.py",
        "introspect",
        "--user-pip",
        build / "requirements.txt",
        collections,
        env=offline,
    )
    assert introspected.returncode == 0, introspected.stdout + introspected.stderr
    runtime = (REPO / "requirements" / "runtime.txt").read_text().splitlines()
    collection = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])
    expected = ["%s  # from collection %s" % (line, collection) for line in runtime if line[:1] not in "#"]
    expected.append("kubernetes==%s  # from collection user" % dev["kubernetes"])
    assert yaml.safe_load(introspected.stdout)["python"] == expected


def test_an_awx_project_sync_installs_this_collection_as_the_tarball_holds_it(tree, tarball, tmp_path):
    """AWX runs ansible-galaxy on collections/requirements.yml from the project's root, the synced repository."""
    collections = tmp_path / "requirements_collections"
    installed = run(
        BIN / "ansible-galaxy",
        "collection",
        "install",
        "-r",
        "collections/requirements.yml",
        "--collections-path",
        collections,
        cwd=tree,
        env={"ANSIBLE_COLLECTIONS_PATH": str(collections)},
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    root = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    files = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    assert files == members(tarball)
