#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# kwok and kwokctl from their Go modules into a versioned cache outside the
# repository. A piece is rebuilt only when its pin or the Go version changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
source "$here/versions.env"
cache="${BK_CACHE_DIR:-$HOME/.cache/bookkeeper-ops}"
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
go_version="$(go env GOVERSION)"
started=$SECONDS

say() { printf '[cluster build %4ss] %s\n' "$((SECONDS - started))" "$*" >&2; }

fresh() { # fresh DIR STAMP: true when DIR holds a build made with STAMP
  [ -f "$1/.stamp" ] && [ "$(cat "$1/.stamp")" = "$2" ]
}

build_k8s() {
  local bin="$cache/bin/k8s-v$K8S_VERSION" stamp="k8s v$K8S_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "kubernetes v$K8S_VERSION: cached in $bin"; return; fi
  local src="$cache/src/k8s-v$K8S_VERSION" minor="${K8S_VERSION#1.}"
  minor="${minor%%.*}"
  mkdir -p "$src" "$bin"
  say "kubernetes v$K8S_VERSION: resolving modules (first run downloads about 1 GB)"
  local upstream
  upstream="$(cd "$src" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
  (
    cd "$src"
    printf 'module local/k8sbin\n\ngo 1.24.0\n\ngodebug default=go1.24\n' >go.mod
    go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION"
    # The kubernetes module points its staging modules at ./staging; use their published tags instead.
    for module in $(awk '$2 == "v0.0.0" && $1 ~ /^k8s\.io\// {print $1}' "$upstream" | sort -u); do
      go mod edit -replace="$module=$module@v0.${K8S_VERSION#1.}"
    done
    printf 'package tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n)\n' >tools.go
    sed -i '1i //go:build tools\n' tools.go
    go mod tidy -e >/dev/null 2>&1 || true
    go mod download
  )
  local cmd=k8s.io/kubernetes/cmd ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  for component in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    say "kubernetes v$K8S_VERSION: building $component"
    (cd "$src" && go build -p 2 -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$bin/$component" "$cmd/$component")
  done
  echo "$stamp" >"$bin/.stamp"
  say "kubernetes v$K8S_VERSION: done"
}

build_kwok() {
  local bin="$cache/bin/kwok-v$KWOK_VERSION" stamp="kwok v$KWOK_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "kwok v$KWOK_VERSION: cached in $bin"; return; fi
  mkdir -p "$bin"
  for tool in kwok kwokctl; do
    say "kwok v$KWOK_VERSION: building $tool"
    GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/$tool@v$KWOK_VERSION"
  done
  echo "$stamp" >"$bin/.stamp"
}

build_etcd() {
  local bin="$cache/bin/etcd-v$ETCD_VERSION" stamp="etcd v$ETCD_VERSION $go_version"
  if fresh "$bin" "$stamp"; then say "etcd v$ETCD_VERSION: cached in $bin"; return; fi
  local src="$cache/src/etcd-v$ETCD_VERSION"
  mkdir -p "$src" "$bin"
  say "etcd v$ETCD_VERSION: building"
  (
    cd "$src"
    printf 'module local/etcdbin\n\ngo 1.24.0\n' >go.mod
    printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
    go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
    go mod tidy -e >/dev/null 2>&1 || true
    go build -p 2 -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3
  )
  echo "$stamp" >"$bin/.stamp"
}

what="${1:-all}"
case "$what" in
  all) build_etcd; build_kwok; build_k8s ;;
  etcd) build_etcd ;;
  kwok) build_kwok ;;
  k8s) build_k8s ;;
  *) echo "usage: build.sh [all|etcd|kwok|k8s]" >&2; exit 2 ;;
esac
say "binaries ready under $cache/bin"
