#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# kwok, kwokctl and helm from their Go modules into a versioned cache outside the
# repository (see README.md beside this file). A piece is rebuilt only when its
# pin (versions.env) or the Go version changes.
#
# Usage: build.sh [all|etcd|kwok|k8s|helm|bookkeeper|node]
#
# `node` builds the real node (BK_NODES=real): the kubelet, containerd, runc with
# seccomp, the CNI plugins, crane (registry and image tool) and the pause program,
# and fetches busybox-static (the images' shell) with `apt-get download`.
#
# The module files of the Kubernetes and etcd builds are kept in gomod/<tool>/
# (go.mod and go.sum only), so a build uses exactly the checked module versions.
# When a pin changes they are made anew from the upstream go.mod and written back
# there, to be committed with the pin.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
source "$here/versions.env"
cache="${BK_CACHE_DIR:-$HOME/.cache/bookkeeper-ops}"
# Two compile jobs at most: the machine has 2 cores, and a kube-apiserver link takes ~2 GB.
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false"
go_version="$(go env GOVERSION)"
started=$SECONDS

say() { printf '[cluster build %4ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

fresh() { # fresh DIR STAMP: true when DIR holds a build made with STAMP
  [ -f "$1/.stamp" ] && [ "$(cat "$1/.stamp")" = "$2" ]
}

step() { # step WHAT COMMAND...: runs COMMAND, saying every minute that WHAT still builds
  local what="$1" since=$SECONDS ticker
  shift
  say "$what"
  (while sleep 60; do say "$what: still running ($((SECONDS - since)) s)"; done) &
  ticker=$!
  local rc=0
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  [ "$rc" = 0 ] && say "$what: done in $((SECONDS - since)) s"
  return "$rc"
}

modules() { # modules TOOL SRC MODULE@VERSION GENERATE-FUNCTION [ARG...]: puts go.mod/go.sum for the pin in SRC
  local tool="$1" src="$2" want="$3" generate="$4" kept="$here/gomod/$1"
  mkdir -p "$src"
  if [ -f "$kept/go.mod" ] && grep -qE "^(require )?[[:space:]]*${want%@*} ${want#*@}\$" "$kept/go.mod"; then
    cp "$kept/go.mod" "$kept/go.sum" "$src/"
    return
  fi
  say "$tool: no module files for $want in scripts/cluster/gomod/$tool: making them"
  (cd "$src" && "$generate" "${@:5}")
  mkdir -p "$kept"
  cp "$src/go.mod" "$src/go.sum" "$kept/"
  say "$tool: wrote scripts/cluster/gomod/$tool/go.mod and go.sum: commit them with the pin"
}

gen_k8s() { # gen_k8s COMMAND...: module files for building those commands of k8s.io/kubernetes
  local upstream
  upstream="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  # Staging modules at v0.0.0 plus Go's debug defaults, as the upstream module has them.
  printf 'module local/k8sbin\n\ngo 1.24.0\n\ngodebug default=go1.24\n' >go.mod
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
  # k8s.io/kubernetes points its staging modules at ./staging; use their published tags instead.
  local module
  for module in $(awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// {print $1}' "$upstream" | sort -u); do
    go mod edit -replace="$module=$module@v0.${K8S_VERSION#1.}"
  done
  printf '//go:build tools\n\npackage tools\n\nimport (\n' >tools.go
  for module in "$@"; do
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$module" >>tools.go
  done
  printf ')\n' >>tools.go
  go mod tidy
  rm tools.go
}

gen_etcd() {
  printf 'module local/etcdbin\n\ngo 1.24.0\n' >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  rm tools.go
}

k8s_ldflags() { # the version the Kubernetes binaries report
  local minor="${K8S_VERSION#1.}"
  minor="${minor%%.*}"
  echo "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
}

build_k8s() {
  local bin="$cache/bin/k8s-v$K8S_VERSION" stamp="k8s v$K8S_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "kubernetes v$K8S_VERSION: cached in $bin"; return; fi
  local src="$cache/src/k8s-v$K8S_VERSION"
  modules k8s "$src" "k8s.io/kubernetes@v$K8S_VERSION" gen_k8s kube-apiserver kube-controller-manager kube-scheduler kubectl
  step "kubernetes v$K8S_VERSION: downloading modules (about 0.5 GB when the cache is empty)" \
    bash -c 'cd "$1" && go mod download' _ "$src"
  mkdir -p "$bin"
  local cmd=k8s.io/kubernetes/cmd ldflags
  ldflags="$(k8s_ldflags)"
  local component
  for component in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    step "kubernetes v$K8S_VERSION: building $component" \
      bash -c 'cd "$1" && go build -mod=readonly -trimpath -tags selinux,notest -ldflags "$2" -o "$3" "$4"' _ \
      "$src" "$ldflags" "$bin/$component" "$cmd/$component"
  done
  echo "$stamp" >"$bin/.stamp"
}

go_install() { # go_install DIR STAMP WHAT ARG...: `go install ARG...` into DIR, unless DIR holds a build with STAMP
  local bin="$1" stamp="$2" what="$3"
  shift 3
  if fresh "$bin" "$stamp"; then say "$what: cached in $bin"; return; fi
  mkdir -p "$bin"
  # A module installed by path@version builds with its own go.mod and go.sum (checked by the Go checksum database).
  step "$what: building" env GOBIN="$bin" go install -trimpath "$@"
  echo "$stamp" >"$bin/.stamp"
}

build_kwok() {
  go_install "$cache/bin/kwok-v$KWOK_VERSION" "kwok v$KWOK_VERSION $go_version" "kwok v$KWOK_VERSION" -ldflags "-s -w" \
    "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@v$KWOK_VERSION"
}

build_etcd() {
  local bin="$cache/bin/etcd-v$ETCD_VERSION" stamp="etcd v$ETCD_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "etcd v$ETCD_VERSION: cached in $bin"; return; fi
  local src="$cache/src/etcd-v$ETCD_VERSION"
  modules etcd "$src" "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" gen_etcd
  mkdir -p "$bin"
  step "etcd v$ETCD_VERSION: building" \
    bash -c 'cd "$1" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$2" go.etcd.io/etcd/server/v3' _ \
    "$src" "$bin/etcd"
  echo "$stamp" >"$bin/.stamp"
}

build_helm() {
  go_install "$cache/bin/helm-v$HELM_VERSION" "helm v$HELM_VERSION $go_version" "helm v$HELM_VERSION" \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
}

# The real data plane: BookKeeper releases and ZooKeeper from Maven Central (jars only; nothing is built).
# scripts/cluster/bookkeeper/pom.xml names the artifacts; bookkeeper/versions.env pins the releases.
fetch_jars() { # fetch_jars DIR STAMP PROFILE PROPERTY=VERSION...
  local dir="$1" stamp="$2" profile="$3"
  shift 3
  if fresh "$dir" "$stamp"; then say "$stamp: cached in $dir"; return; fi
  rm -rf "$dir" && mkdir -p "$dir"
  # Maven's own progress is one line per file: shown as a count every 25 files.
  step "$stamp: fetching from Maven Central" bash -c '
    set -o pipefail
    mvn -B -Dstyle.color=never -f "$1" -P "$2" -Dmaven.repo.local="$3" "${@:6}" dependency:copy-dependencies \
      -DoutputDirectory="$4" -DincludeScope=runtime -DexcludeArtifactIds=netty-tcnative-boringssl-static \
      | tee "$5" | awk -v what="$2" '"'"'/Downloaded from/ { n++; if (n % 25 == 0) printf "[maven] %s: %d files downloaded\n", what, n > "/dev/stderr" }
        /ERROR/ { print > "/dev/stderr" }'"'"'
  ' _ "$here/bookkeeper/pom.xml" "$profile" "$cache/m2" "$dir/lib" "$dir/maven.log" "${@/#/-D}"
  echo "$stamp" >"$dir/.stamp"
}

build_bookkeeper() {
  # shellcheck source=/dev/null
  source "$here/bookkeeper/versions.env"
  local release
  for release in $BOOKKEEPER_RELEASES; do
    fetch_jars "$cache/bin/bookkeeper-$release" "bookkeeper $release" bookie "bookkeeper.version=$release"
  done
  fetch_jars "$cache/bin/zookeeper-$ZOOKEEPER_VERSION" "zookeeper $ZOOKEEPER_VERSION" zookeeper "zookeeper.version=$ZOOKEEPER_VERSION"
}

# The real node. Each piece has a directory of its own under bin/, stamped with its pin.
build_kubelet() {
  local bin="$cache/bin/kubelet-v$K8S_VERSION" stamp="kubelet v$K8S_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "kubelet v$K8S_VERSION: cached in $bin"; return; fi
  local src="$cache/src/kubelet-v$K8S_VERSION"
  modules kubelet "$src" "k8s.io/kubernetes@v$K8S_VERSION" gen_k8s kubelet
  mkdir -p "$bin"
  step "kubelet v$K8S_VERSION: building (about 4 minutes)" \
    bash -c 'cd "$1" && go build -mod=readonly -trimpath -tags selinux,notest -ldflags "$2" -o "$3" k8s.io/kubernetes/cmd/kubelet' _ \
    "$src" "$(k8s_ldflags)" "$bin/kubelet"
  echo "$stamp" >"$bin/.stamp"
}

debian() { # debian PACKAGE VERSION DIR: the package's files unpacked into DIR (fetched, never installed)
  local debs="$cache/debs"
  mkdir -p "$debs" "$3"
  if ! ls "$debs/$1_"*.deb >/dev/null 2>&1; then
    (cd "$debs" && apt-get download "$1=$2" >&2)
  fi
  dpkg -x "$(ls "$debs/$1_"*.deb | head -n 1)" "$3"
}

build_runc() { # with seccomp: containerd gives every sandbox a RuntimeDefault profile
  local bin="$cache/bin/runc-v$RUNC_VERSION" stamp="runc v$RUNC_VERSION libseccomp $LIBSECCOMP_DEB $go_version"
  if fresh "$bin" "$stamp"; then say "runc v$RUNC_VERSION: cached in $bin"; return; fi
  local root="$cache/src/libseccomp-$LIBSECCOMP_DEB"
  rm -rf "$root"
  debian libseccomp-dev "$LIBSECCOMP_DEB" "$root"
  find "$root" -name 'libseccomp.so*' -delete # the static library, so that runc needs nothing on the host
  local pc
  pc="$(dirname "$(find "$root" -name libseccomp.pc | head -n 1)")"
  mkdir -p "$bin"
  step "runc v$RUNC_VERSION: building with seccomp" \
    env CGO_ENABLED=1 PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$pc" GOBIN="$bin" \
    go install -trimpath -tags seccomp -ldflags "-s -w -X main.version=$RUNC_VERSION -extldflags -static" \
    "github.com/opencontainers/runc@v$RUNC_VERSION"
  echo "$stamp" >"$bin/.stamp"
}

build_containerd() {
  local module="github.com/containerd/containerd/v2"
  go_install "$cache/bin/containerd-v$CONTAINERD_VERSION" "containerd v$CONTAINERD_VERSION $go_version" \
    "containerd v$CONTAINERD_VERSION" -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X $module/version.Version=v$CONTAINERD_VERSION" "$module/cmd/containerd@v$CONTAINERD_VERSION" \
    "$module/cmd/containerd-shim-runc-v2@v$CONTAINERD_VERSION" "$module/cmd/ctr@v$CONTAINERD_VERSION"
}

build_cni() { # the bridge, host-local and loopback plugins
  local plugins="github.com/containernetworking/plugins/plugins"
  go_install "$cache/bin/cni-v$CNI_PLUGINS_VERSION" "cni plugins v$CNI_PLUGINS_VERSION $go_version" \
    "CNI plugins v$CNI_PLUGINS_VERSION" -ldflags "-s -w" "$plugins/main/bridge@v$CNI_PLUGINS_VERSION" \
    "$plugins/ipam/host-local@v$CNI_PLUGINS_VERSION" "$plugins/main/loopback@v$CNI_PLUGINS_VERSION"
}

build_crane() {
  go_install "$cache/bin/crane-v$CRANE_VERSION" "crane v$CRANE_VERSION $go_version" "crane v$CRANE_VERSION" \
    -ldflags "-s -w" "github.com/google/go-containerregistry/cmd/crane@v$CRANE_VERSION"
}

build_image_parts() { # the pause program (the kubelet's own source) and a static shell for the images
  local bin="$cache/bin/image-parts" stamp="pause k8s v$K8S_VERSION busybox $BUSYBOX_DEB"
  if fresh "$bin" "$stamp"; then say "pause and busybox: cached in $bin"; return; fi
  rm -rf "$bin" && mkdir -p "$bin"
  (cd "$cache/src/k8s-v$K8S_VERSION" && go mod download "k8s.io/kubernetes@v$K8S_VERSION")
  gcc -Os -static -o "$bin/pause" "$GOMODCACHE/k8s.io/kubernetes@v$K8S_VERSION/build/pause/linux/pause.c"
  debian busybox-static "$BUSYBOX_DEB" "$bin/busybox-deb"
  cp "$bin/busybox-deb/bin/busybox" "$bin/busybox"
  rm -rf "$bin/busybox-deb"
  say "pause and busybox: ready in $bin"
  echo "$stamp" >"$bin/.stamp"
}

build_node() {
  build_k8s
  build_kubelet
  build_runc
  build_containerd
  build_cni
  build_crane
  build_image_parts
}

what="${1:-all}"
case "$what" in
  all) build_etcd; build_kwok; build_k8s; build_helm; build_bookkeeper ;;
  bookkeeper) build_bookkeeper ;;
  etcd) build_etcd ;;
  helm) build_helm ;;
  kwok) build_kwok ;;
  k8s) build_k8s ;;
  node) build_node ;;
  *) echo "usage: build.sh [all|etcd|kwok|k8s|helm|bookkeeper|node]" >&2; exit 2 ;;
esac
say "binaries ready under $cache/bin (${SECONDS}s)"
