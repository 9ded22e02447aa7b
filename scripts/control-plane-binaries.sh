#!/usr/bin/env bash
# Provides kube-apiserver, etcd and kubectl of one pinned Kubernetes release for the
# control-plane tests (docs/control-plane-tests.md). Prints the directory that holds them.
#
# Sources, in order:
#   1. $KUBEBUILDER_ASSETS (the directory setup-envtest fills), if all three are there and fit;
#   2. $PATH, if all three are there and fit;
#   3. the cache, $NETPOL_CONTROL_PLANE_CACHE (default ~/.cache/netpol/control-plane)/<release>/;
#   4. a build from the Go module proxy into that cache (needs Go >= the module's go line).
# "Fit": kube-apiserver and kubectl of the pinned minor release, etcd of the pinned minor.
# The product never needs Go; only the tests need these binaries.
#
# Usage: scripts/control-plane-binaries.sh [--no-build]
#   --no-build   only look (1-3); exit 1 with a reason on stderr when none fits.
set -euo pipefail

# Kubernetes v1.37.2: the newest release the Go module proxy serves together with its staging
# modules (v0.37.2); its go.mod says "go 1.26.0", so the Go 1.26 toolchain builds it. etcd v3.7.0
# is the version that release names (build/dependencies.yaml, kubeadm's DefaultEtcdVersion).
readonly K8S_VERSION=v1.37.2
readonly STAGING_VERSION=v0.37.2
readonly ETCD_VERSION=v3.7.0
readonly K8S_MINOR=1.37
readonly ETCD_MINOR=3.7

no_build=false
for arg in "$@"; do
  case "$arg" in
    --no-build) no_build=true ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "control-plane-binaries: unknown argument (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "control-plane-binaries: $*" >&2; }

# version_of BINARY -> prints "MAJOR.MINOR.PATCH" or nothing. Each binary is run with a timeout:
# a binary found on PATH is not trusted to answer.
version_of() {
  local bin=$1 out=""
  case "$(basename "$bin")" in
    kube-apiserver) out=$(timeout 20 "$bin" --version 2>/dev/null || true) ;;
    kubectl) out=$(timeout 20 "$bin" version --client 2>/dev/null | head -n 1 || true) ;;
    etcd) out=$(timeout 20 "$bin" --version 2>/dev/null | head -n 1 || true) ;;
  esac
  printf '%s\n' "$out" | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true
}

# fits DIR -> 0 when DIR holds the three binaries of the pinned minor releases.
fits() {
  local dir=$1 name v want
  [ -n "$dir" ] || return 1
  for name in kube-apiserver kubectl etcd; do
    [ -x "$dir/$name" ] || { log "$dir: no $name"; return 1; }
    if [ "$name" = etcd ]; then want=$ETCD_MINOR; else want=$K8S_MINOR; fi
    v=$(version_of "$dir/$name")
    case "$v" in
      "$want".*) ;;
      *) log "$dir/$name: version ${v:-unknown}, need $want.x"; return 1 ;;
    esac
  done
  return 0
}

# 1. KUBEBUILDER_ASSETS
if [ -n "${KUBEBUILDER_ASSETS:-}" ] && fits "$KUBEBUILDER_ASSETS"; then
  (cd "$KUBEBUILDER_ASSETS" && pwd -P)
  exit 0
fi

# 2. PATH: the three must be in one directory or each found separately; link them into a
# directory so that callers get one location.
path_dir() {
  local a k e
  a=$(command -v kube-apiserver || true)
  k=$(command -v kubectl || true)
  e=$(command -v etcd || true)
  [ -n "$a" ] && [ -n "$k" ] && [ -n "$e" ] || return 1
  local d
  d=$(dirname "$a")
  if [ "$(dirname "$k")" = "$d" ] && [ "$(dirname "$e")" = "$d" ]; then
    fits "$d" && { (cd "$d" && pwd -P); return 0; }
    return 1
  fi
  return 1
}
if path_dir; then exit 0; fi

# 3. cache
cache_root=${NETPOL_CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netpol/control-plane}
dest="$cache_root/$K8S_VERSION-etcd-$ETCD_VERSION"
stamp="$dest/.complete"
if [ -f "$stamp" ] && fits "$dest"; then
  echo "$dest"
  exit 0
fi

if $no_build; then
  log "kube-apiserver, etcd and kubectl $K8S_MINOR not found (KUBEBUILDER_ASSETS, PATH, $dest)"
  exit 1
fi

# 4. build
command -v go >/dev/null || { log "no Go toolchain to build kube-apiserver $K8S_VERSION; install Go >= 1.26 or set KUBEBUILDER_ASSETS"; exit 1; }
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
out="$work/bin"
mkdir -p "$out"
export CGO_ENABLED=0 GOFLAGS="-trimpath -mod=mod" GOTOOLCHAIN=local GOWORK=off
start=$(date +%s)

# Kubernetes: a temporary module that requires k8s.io/kubernetes and replaces each staging
# module (which its go.mod points at ./staging/src/...) by the published module of the same
# release.
log "building kube-apiserver and kubectl $K8S_VERSION from the Go module proxy (takes a while)"
mkdir -p "$work/k8s"
(
  cd "$work/k8s"
  go mod init netpol.test/control-plane-k8s >/dev/null 2>&1
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [ -f "$gomod" ] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
  staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\1#p' "$gomod")
  [ -n "$staging" ] || { log "no staging replacements in k8s.io/kubernetes@$K8S_VERSION's go.mod"; exit 1; }
  args=()
  for m in $staging; do args+=("-replace=$m=$m@$STAGING_VERSION"); done
  go mod edit "${args[@]}" "-require=k8s.io/kubernetes@$K8S_VERSION"
  ldflags="-s -w"
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${K8S_MINOR#1.} -X $pkg.gitTreeState=clean"
  done
  go build -tags=selinux,notest,grpcnotrace -ldflags="$ldflags" -o "$out/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -tags=selinux,notest,grpcnotrace -ldflags="$ldflags" -o "$out/kubectl" k8s.io/kubernetes/cmd/kubectl
)
log "kube-apiserver and kubectl built after $(( $(date +%s) - start ))s"

# etcd: its server module holds the etcd command (package main at the module root).
log "building etcd $ETCD_VERSION"
mkdir -p "$work/etcd"
(
  cd "$work/etcd"
  go mod init netpol.test/control-plane-etcd >/dev/null 2>&1
  go mod edit "-require=go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -ldflags="-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
)
log "all built after $(( $(date +%s) - start ))s"

fits "$out" || { log "the binaries just built do not report the pinned versions"; exit 1; }
date -u +%FT%TZ > "$out/.complete"
# Atomic install: the cache directory appears whole or not at all.
rm -rf "$dest.old"
[ -e "$dest" ] && mv "$dest" "$dest.old"
mv "$out" "$dest"
rm -rf "$dest.old"
echo "$dest"
