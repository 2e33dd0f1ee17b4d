#!/usr/bin/env python3
"""Builds the local cluster's container images offline and pushes them to its registry.

A real node (kubelet + containerd) pulls every image that scripts/cluster/registry.yaml declares, so each
one must exist as a real OCI image whose containers behave as declared:

* ``ready``, ``never-ready`` and ``crash``: a small Go program of ours (images/standin), the entrypoint,
  which answers both readiness probes a bookie pod may have: BookKeeper's ``/api/v1/bookie/is_ready`` on
  port 8000 (the deploy role's template) and, linked as /opt/bookkeeper/bin/bookkeeper, ``bookkeeper shell
  bookiesanity`` (the Pravega operator's);
* ``bookie``: a real BookKeeper bookie of the declared release, started by images/bookkeeper.sh;

plus two images of the cluster's own infrastructure: the sandbox (pause) image and a standalone ZooKeeper.

Nothing is downloaded: the parts come from the build cache (``--bin``, see build.sh) and the installed
JDK 17 (a ``jlink`` runtime plus the host libraries it links to). Layers are deterministic tars; crane
assembles them into images in a staging registry of its own and saves each as a tarball in ``--cache``,
named by a hash of everything that goes into it, so a second run builds nothing and only pushes.

The node's containerd sends pulls of docker.io and of every other registry host that registry.yaml names
to the local registry; ``mirror_path`` and ``registry_hosts`` say where each image lives there
(node/node.sh asks ``--hosts`` to write containerd's hosts.toml files).

Usage:
  images.py --registry registry.yaml --bin BIN --cache DIR --push localhost:PORT
  images.py --registry registry.yaml --hosts
"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from typing import Callable

import yaml

HERE = pathlib.Path(__file__).resolve().parent
PARTS = HERE / "images"
PLATFORM = "linux/amd64"
DOCKER_HUB = "docker.io"
JAVA_HOME = pathlib.Path("/usr/lib/jvm/java-17-openjdk-amd64")
# What BookKeeper 4.16/4.17 (server, vertx admin server, ZooKeeper client, log4j) and ZooKeeper 3.9 use,
# as jdeps lists over their jars, plus the providers they reach through services (DNS, EC crypto,
# management beans).
JAVA_MODULES = (
    "java.base",
    "java.compiler",
    "java.desktop",
    "java.logging",
    "java.management",
    "java.naming",
    "java.net.http",
    "java.rmi",
    "java.scripting",
    "java.security.jgss",
    "java.security.sasl",
    "java.sql",
    "java.xml",
    "jdk.crypto.ec",
    "jdk.management",
    "jdk.naming.dns",
    "jdk.unsupported",
)
JLINK_OPTIONS = ("--strip-debug", "--no-header-files", "--no-man-pages", "--compress=2", "--generate-cds-archive")
JAVA_PATH = "/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ETC_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\nnogroup:x:65534:\n",
    # Files first: a pod gets no DNS answers, and its hostname and localhost are in /etc/hosts.
    "etc/nsswitch.conf": "hosts: files dns\n",
}
STANDIN_BEHAVIOURS = ("ready", "never-ready", "crash")


# -- names -----------------------------------------------------------------------------------------------


def split_host(image):
    """(registry host, repository path with tag) of an image reference, docker.io when none is named."""
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DOCKER_HUB, image


def mirror_path(image):
    """Where the local registry keeps an image: its reference without the registry host.

    containerd asks a mirror for the repository path alone, and docker.io puts one-component names under
    ``library/``: ``pravega/bookkeeper:0.16.0-real`` stays, ``x:1`` becomes ``library/x:1``,
    ``registry.local/pause:1.0`` becomes ``pause:1.0``. Prefix it with the registry's ``localhost:PORT/``.
    """
    host, path = split_host(image)
    if host == DOCKER_HUB and "/" not in path:
        return "library/" + path
    return path


def registry_hosts(images):
    """The registry hosts that containerd must send to the local registry, e.g. {"docker.io", "registry.local"}."""
    return {split_host(image)[0] for image in images}


def read_env_file(path):
    """KEY=VALUE lines of a versions.env file, quotes removed."""
    values = {}
    for line in path.read_text().splitlines():
        match = re.match(r"\s*([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2).strip().strip("\"'")
    return values


# -- fingerprints ----------------------------------------------------------------------------------------


class Fingerprint:
    """A sha256 over named parts, so that a cache key changes whenever anything that goes into it does."""

    def __init__(self, **values):
        self._hash = hashlib.sha256()
        self.add("recipe", file_digest(pathlib.Path(__file__)))
        for name, value in sorted(values.items()):
            self.add(name, value)

    def add(self, name, value):
        self._hash.update(json.dumps([name, value], sort_keys=True).encode() + b"\n")
        return self

    def add_files(self, name, paths):
        return self.add(name, sorted((str(path), file_digest(path)) for path in paths))

    def hex(self):
        return self._hash.hexdigest()


_DIGESTS = {}


def file_digest(path):
    """sha256 of a file's content, computed once per run (the jars and the JDK are read for several keys)."""
    path = pathlib.Path(path).resolve()
    if path not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[path] = digest.hexdigest()
    return _DIGESTS[path]


# -- layers ----------------------------------------------------------------------------------------------


class LayerTar:
    """A layer tar with the same bytes on every run: owner 0:0 by number, mtime 0, entries in a fixed order, and
    every parent directory present (mode 0755) so that extraction never invents one."""

    def __init__(self, path):
        # Closed by close(), which every builder calls in a finally block.
        self._tar = tarfile.open(path, "w", format=tarfile.GNU_FORMAT)  # noqa: SIM115
        self._dirs = set()

    def close(self):
        self._tar.close()

    def _info(self, name, kind, mode):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = kind, mode, 0, 0, 0, "", ""
        return info

    def dir(self, name, mode=0o755):
        name = name.strip("/")
        if not name or name in self._dirs:
            return
        self.dir(os.path.dirname(name))
        self._dirs.add(name)
        self._tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def data(self, name, content, mode=0o644):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        content = content.encode() if isinstance(content, str) else content
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(content)
        self._tar.addfile(info, io.BytesIO(content))

    def file(self, name, source, mode=None):
        """A host file's content (symlinks followed), with its own mode unless one is given."""
        source = pathlib.Path(source).resolve()
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        info = self._info(name, tarfile.REGTYPE, mode if mode is not None else source.stat().st_mode & 0o7777)
        info.size = source.stat().st_size
        with open(source, "rb") as stream:
            self._tar.addfile(info, stream)

    def symlink(self, name, target):
        name = name.strip("/")
        self.dir(os.path.dirname(name))
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self._tar.addfile(info)

    def tree(self, name, source):
        """A host directory at ``name``, its symlinks kept as links."""
        source = pathlib.Path(source)
        self.dir(name)
        for path in sorted(source.rglob("*")):
            target = "%s/%s" % (name.strip("/"), path.relative_to(source))
            if path.is_symlink():
                self.symlink(target, os.readlink(path))
            elif path.is_dir():
                self.dir(target, path.stat().st_mode & 0o7777)
            else:
                self.file(target, path)


@dataclass
class Layer:
    """A layer: ``key`` names its content, ``write`` puts that content into a LayerTar."""

    name: str
    key: str
    write: Callable[[LayerTar], None]


@dataclass
class Image:
    """An image to build: ``path`` is its place in the local registry (see mirror_path)."""

    name: str
    path: str
    layers: list[Layer]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()

    def key(self):
        return Fingerprint(
            platform=PLATFORM, entrypoint=self.entrypoint, cmd=self.cmd, layers=[layer.key for layer in self.layers]
        ).hex()


class Parts:
    """The layers the images are made of, each made at most once per run and cached by key."""

    def __init__(self, bin_dir, cache):
        self.bin = pathlib.Path(bin_dir)
        self.cache = pathlib.Path(cache)
        self.busybox = self.bin / "image-parts" / "busybox"
        self._java = None
        self._standin = None

    # The base of every image: a shell and the files that programs expect.
    def base(self):
        def write(tar):
            tar.file("bin/busybox", self.busybox, 0o755)
            for applet in busybox_applets(self.busybox):
                if applet != "bin/busybox":
                    tar.symlink(applet, "/bin/busybox")
            for name, content in ETC_FILES.items():
                tar.data(name, content)
            tar.dir("tmp", 0o1777)
            tar.dir("root", 0o700)
            for name in ("dev", "proc", "sys", "etc", "usr/local/bin"):
                tar.dir(name)

        return Layer("base", Fingerprint(busybox=file_digest(self.busybox), etc=ETC_FILES).hex(), write)

    def pause(self):
        program = self.bin / "image-parts" / "pause"
        key = Fingerprint(pause=file_digest(program)).hex()
        return Layer("pause", key, lambda tar: tar.file("pause", program, 0o755))

    def standin(self, behaviour, ready_delay):
        program = self.standin_program()
        config = json.dumps({"behaviour": behaviour, "readyDelaySeconds": ready_delay}, sort_keys=True) + "\n"

        def write(tar):
            tar.file("usr/local/bin/standin", program, 0o755)
            tar.symlink("opt/bookkeeper/bin/bookkeeper", "/usr/local/bin/standin")
            tar.data("etc/standin.json", config)

        return Layer("standin", Fingerprint(program=file_digest(program), config=config).hex(), write)

    def standin_program(self):
        """The standin, built by Go into the cache (static: the images have no C library of their own)."""
        if self._standin is None:
            self._standin = self._build_standin()
        return self._standin

    def _build_standin(self):
        sources = sorted((PARTS / "standin").glob("*"))
        go_version = run(["go", "version"], env=go_env(self.bin)).strip()
        key = Fingerprint(go=go_version).add_files("sources", sources).hex()
        program = self.cache / "standin" / key / "standin"
        if not program.exists():
            program.parent.mkdir(parents=True, exist_ok=True)
            run(
                ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(program.with_suffix(".new")), "."],
                cwd=PARTS / "standin",
                env=go_env(self.bin),
            )
            program.with_suffix(".new").rename(program)
        return program

    def java(self):
        """A jlink runtime at /opt/java plus the host libraries it links to, shared by every Java image."""
        if self._java is None:
            jdk_files = [JAVA_HOME / "release", JAVA_HOME / "lib" / "modules"]
            key = (
                Fingerprint(modules=JAVA_MODULES, jlink=JLINK_OPTIONS)
                .add_files("jdk", jdk_files)
                .add_files("libraries", linked_libraries(JAVA_HOME))
                .hex()
            )
            self._java = Layer("java", key, self._write_java)
        return self._java

    def _write_java(self, tar):
        with tempfile.TemporaryDirectory(dir=self.cache) as work:
            runtime = pathlib.Path(work) / "java"
            run(
                [str(JAVA_HOME / "bin" / "jlink"), "--add-modules", ",".join(JAVA_MODULES), *JLINK_OPTIONS]
                + ["--output", str(runtime)]
            )
            tar.tree("opt/java", runtime)
            for library in sorted(linked_libraries(runtime)):
                tar.file(str(library), library)

    def jars(self, where, lib_dir):
        jars = sorted(pathlib.Path(lib_dir).glob("*.jar"))
        if not jars:
            raise SystemExit("images: no jars in %s (run scripts/cluster/build.sh bookkeeper)" % lib_dir)

        def write(tar):
            for jar in jars:
                tar.file("%s/%s" % (where, jar.name), jar, 0o644)

        return Layer("jars", Fingerprint(where=where).add_files("jars", jars).hex(), write)

    def bookie_launcher(self, options):
        launcher = PARTS / "bookkeeper.sh"
        image_conf = "".join("%s=%s\n" % (key, value_text(value)) for key, value in sorted(options.items()))

        def write(tar):
            tar.file("opt/bookkeeper/bin/bookkeeper", launcher, 0o755)
            tar.data("opt/bookkeeper/conf/image.conf", image_conf)

        return Layer("launcher", Fingerprint(conf=image_conf).add_files("launcher", [launcher]).hex(), write)

    def zookeeper_launcher(self):
        launcher = PARTS / "zookeeper.sh"
        return Layer(
            "launcher",
            Fingerprint().add_files("launcher", [launcher]).hex(),
            lambda tar: tar.file("opt/zookeeper/bin/zookeeper", launcher, 0o755),
        )

    def tar(self, layer):
        """The layer's tar in the cache, written only when no run wrote it before."""
        path = self.cache / "layers" / (layer.key + ".tar")
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".new")
            tar = LayerTar(partial)
            try:
                layer.write(tar)
            finally:
                tar.close()
            partial.rename(path)
        return path


def value_text(value):
    """A registry.yaml option as BookKeeper reads it (YAML true is BookKeeper's true)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def busybox_applets(busybox):
    """Where busybox expects each of its applets (bin/sh, usr/bin/awk, ...)."""
    return sorted(set(run([str(busybox), "--list-full"]).split()))


def linked_libraries(java_home):
    """The host libraries, loader included, that ``ldd`` finds for a Java runtime's launcher and libraries.

    The runtime's own libraries (found through $ORIGIN) are left out: they come with it. A library ldd
    cannot find is only needed by a part no bookie uses (the X11 toolkit of java.desktop).
    """
    java_home = pathlib.Path(java_home).resolve()
    found = set()
    for path in [java_home / "bin" / "java", *sorted(java_home.glob("lib/**/*.so"))]:
        for line in run(["ldd", str(path)], check=False).splitlines():
            match = re.search(r"(/\S+)\s+\(0x", line)
            if match and not match.group(1).startswith(str(java_home) + "/"):
                found.add(pathlib.Path(match.group(1)))
    return found


# -- the images ------------------------------------------------------------------------------------------


def declared_images(registry, parts, bin_dir):
    """One Image per image of registry.yaml, in its order."""
    default_delay = registry.get("readyDelaySeconds", 1)
    images = []
    for name, spec in (registry.get("images") or {}).items():
        behaviour = spec.get("behaviour")
        if behaviour in STANDIN_BEHAVIOURS:
            layers = [parts.base(), parts.standin(behaviour, spec.get("readyDelaySeconds", default_delay))]
            images.append(Image(name, mirror_path(name), layers, ("/usr/local/bin/standin",)))
        elif behaviour == "bookie":
            release = spec.get("bookkeeper")
            lib = pathlib.Path(bin_dir) / ("bookkeeper-%s" % release) / "lib"
            launcher = parts.bookie_launcher(spec.get("options") or {})
            layers = [parts.base(), parts.java(), parts.jars("opt/bookkeeper/lib", lib), launcher]
            images.append(Image(name, mirror_path(name), layers, ("/opt/bookkeeper/bin/bookkeeper",), ("bookie",)))
        else:
            raise SystemExit("images: %s: unknown behaviour %r" % (name, behaviour))
    return images


def infrastructure_images(parts, bin_dir):
    """The sandbox image the node's containerd is pinned to, and the cluster's ZooKeeper."""
    k8s = read_env_file(HERE / "versions.env")["K8S_VERSION"]
    zookeeper = read_env_file(HERE / "bookkeeper" / "versions.env")["ZOOKEEPER_VERSION"]
    zk_lib = pathlib.Path(bin_dir) / ("zookeeper-%s" % zookeeper) / "lib"
    return [
        Image("pause", "bookkeeper-ops/pause:%s" % k8s, [parts.base(), parts.pause()], ("/pause",)),
        Image(
            "zookeeper",
            "bookkeeper-ops/zookeeper:%s" % zookeeper,
            [parts.base(), parts.java(), parts.jars("opt/zookeeper/lib", zk_lib), parts.zookeeper_launcher()],
            ("/opt/zookeeper/bin/zookeeper",),
        ),
    ]


# -- building and pushing --------------------------------------------------------------------------------


class Staging:
    """A registry of crane's own for the time of a build: crane sets an image's platform and entrypoint
    only on a pushed image, and the cluster's registry must see finished images only."""

    def __init__(self, crane, cache):
        self.crane = crane
        self.cache = cache
        self._server = None
        self._disk = None
        self._address = None

    def ref(self, name):
        if self._server is None:
            self._start()
        return "%s/%s" % (self._address, name)

    def _start(self):
        self._disk = tempfile.mkdtemp(prefix="staging-", dir=self.cache)
        port = free_port()
        self._address = "localhost:%d" % port
        self._server = subprocess.Popen(
            [self.crane, "registry", "serve", "--address", "127.0.0.1:%d" % port, "--disk", self._disk],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(port, self._server)

    def close(self):
        if self._server is not None:
            self._server.terminate()
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait(timeout=10)
            shutil.rmtree(self._disk, ignore_errors=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, process, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("images: the staging registry exited with code %d" % process.returncode)
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SystemExit("images: the staging registry did not listen on port %d" % port)


def build(image, parts, crane, staging):
    """The image's tarball in the cache, and whether this run had to build it."""
    key = image.key()
    tarball = parts.cache / "images" / (key + ".tar")
    if tarball.exists():
        return tarball, False
    tarball.parent.mkdir(parents=True, exist_ok=True)
    layers = [str(parts.tar(layer)) for layer in image.layers]
    ref = staging.ref("build:%s" % key[:20])
    run([crane, "append", "--oci-empty-base", *[arg for layer in layers for arg in ("-f", layer)], "-t", ref])
    partial = tarball.with_suffix(".new")
    mutate = [crane, "mutate", ref, "--set-platform", PLATFORM, "--entrypoint", ",".join(image.entrypoint)]
    mutate += ["--cmd", ",".join(image.cmd)] if image.cmd else []
    mutate += ["--env", "PATH=%s" % JAVA_PATH, "-o", str(partial)]
    run(mutate)
    partial.rename(tarball)
    return tarball, True


def run(argv, check=True, timeout=900, **kwargs):
    """A command's stdout; its stderr is shown when it fails, as the reason of the failure. A command that
    outlasts ``timeout`` seconds (a build or a push that hangs) fails the run, naming it."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as expired:
        raise SystemExit("images: %s did not finish in %d s" % (" ".join(argv[:3]), timeout)) from expired
    if check and done.returncode != 0:
        command = " ".join(argv[:3])
        raise SystemExit("images: %s failed (exit %d):\n%s" % (command, done.returncode, done.stderr.strip()))
    return done.stdout


def go_env(bin_dir):
    """Go with the installed toolchain (no download), no cgo (a static program), and its caches beside the
    build cache's bin directory, as build.sh keeps them."""
    root = pathlib.Path(bin_dir).resolve().parent
    return dict(
        os.environ,
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
        GOMODCACHE=os.environ.get("GOMODCACHE", str(root / "gomod")),
        GOCACHE=os.environ.get("GOCACHE", str(root / "gocache")),
    )


def build_and_push(images, parts, crane, registry):
    staging = Staging(crane, parts.cache)
    try:
        for image in images:
            started = time.monotonic()
            tarball, built = build(image, parts, crane, staging)
            pushed = time.monotonic()
            run([crane, "push", str(tarball), "%s/%s" % (registry, image.path)])
            done = time.monotonic()
            print(
                "%-40s %-7s build %5.1fs  push %4.1fs  %s/%s"
                % (image.name, "built" if built else "cached", pushed - started, done - pushed, registry, image.path),
                flush=True,
            )
    finally:
        staging.close()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", required=True, type=pathlib.Path, help="registry.yaml: the declared images")
    parser.add_argument("--hosts", action="store_true", help="print the registry hosts to mirror, one a line, and exit")
    parser.add_argument("--bin", type=pathlib.Path, help="the build cache's bin directory (crane, image-parts, jars)")
    parser.add_argument("--cache", type=pathlib.Path, help="where layers and built images are kept")
    parser.add_argument("--push", metavar="localhost:PORT", help="the registry to push every image to")
    args = parser.parse_args(argv)
    if not args.hosts and not (args.bin and args.cache and args.push):
        parser.error("--bin, --cache and --push are required unless --hosts")
    return args


def main(argv=None):
    args = parse_args(argv)
    registry = yaml.safe_load(args.registry.read_text()) or {}
    if args.hosts:
        print("\n".join(sorted(registry_hosts(registry.get("images") or {}))))
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    cache = args.cache.resolve()
    crane = str(args.bin / ("crane-v%s" % read_env_file(HERE / "versions.env")["CRANE_VERSION"]) / "crane")
    parts = Parts(args.bin, cache)
    images = declared_images(registry, parts, args.bin) + infrastructure_images(parts, args.bin)
    build_and_push(images, parts, crane, args.push)


if __name__ == "__main__":
    sys.exit(main())
