#!/usr/bin/env bash
# Builds kube-apiserver v1.20.2 from Debian bookworm's `kubernetes` source package, for the Kubernetes tests.
#
# No registry reachable from CI ships the binary, but the Debian source package carries the full upstream tree with
# vendor/. Two patches make it work with Debian's Go (>= 1.18): reflect2 1.0.2 (1.0.1 panics on the first CRD
# create) and kube-openapi's type validator treating "" as null (Kubernetes issue #99804).
#
# The binary is cached at $KUBE_APISERVER_CACHE (default <repo>/.cache/kube, gitignored); the build is skipped when
# the cached binary already reports v1.20.2. Prints the binary's path on stdout as its last line.
set -euo pipefail

VERSION=v1.20.2
DEB_VERSION=1.20.5+really1.20.2-1.1+deb12u1
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${KUBE_APISERVER_CACHE:-$repo/.cache/kube}
bin=$cache/bin/kube-apiserver

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "Kubernetes $VERSION"; then
  echo "$bin"
  exit 0
fi

log() { echo "build-kube-apiserver: $*" >&2; }
bash "$repo/scripts/install-system-deps.sh" >&2
mkdir -p "$cache/bin" "$cache/apt/lists/partial" "$cache/apt/cache/archives/partial" "$cache/home"

# A private apt configuration: the system's sources.list stays untouched.
mirror=$(awk '/^URIs:/ && $2 ~ /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" \
  >"$cache/apt/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$cache/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
  -o "Dir::State::Lists=$cache/apt/lists" -o "Dir::Cache=$cache/apt/cache")

src=$cache/src
if [ ! -d "$src/kubernetes/vendor" ]; then
  log "fetching source kubernetes=$DEB_VERSION from $mirror"
  rm -rf "$src" && mkdir -p "$src"
  apt-get "${apt_private[@]}" -qq update >&2
  (cd "$src" && apt-get "${apt_private[@]}" -qq source "kubernetes=$DEB_VERSION" >&2)
  mv "$src"/kubernetes-*/ "$src/kubernetes"
fi
tree=$src/kubernetes

log "patching vendor/ (reflect2 1.0.2, empty-string validation)"
reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
vendored=$tree/vendor/github.com/modern-go/reflect2
rm -f "$vendored"/*.go "$vendored"/*.s
cp "$reflect2"/*.go "$vendored/"
cp "$reflect2"/*.s "$vendored/" 2>/dev/null || true
for f in vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go vendor/github.com/go-openapi/validate/type.go; do
  [ -f "$tree/$f" ] && sed -i \
    's/if data == nil || reflect.DeepEqual(reflect.Zero(reflect.TypeOf(data)), reflect.ValueOf(data)) {/if data == nil {/' \
    "$tree/$f"
done
grep -q 'if data == nil {' "$tree/vendor/k8s.io/kube-openapi/pkg/validation/validate/type.go"

log "building (cold: 6-9 minutes on 2 cores)"
build() {
  (cd "$tree" && HOME=$cache/home GOPROXY=off CGO_ENABLED=0 KUBE_GIT_VERSION=$VERSION KUBE_GIT_TREE_STATE=clean \
    make WHAT=cmd/kube-apiserver GOFLAGS=-p=2 GOLDFLAGS="-s -w" >&2)
}
# A cold build has been seen to stop once without a compiler message; the retry reuses the Go cache (about 1 min).
build || { log "build failed; retrying once"; build; }
install -m 0755 "$tree/_output/bin/kube-apiserver" "$bin"
"$bin" --version | grep -qx "Kubernetes $VERSION"
log "built $("$bin" --version)"
echo "$bin"
