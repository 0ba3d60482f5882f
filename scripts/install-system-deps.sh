#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing. Safe to run repeatedly.
set -euo pipefail
need=()
want() { dpkg -s "$1" >/dev/null 2>&1 || need+=("$1"); }
# (packages are added here as the suite grows)
want chromium          # browser tests of the diag UI (tests/browser), driven by Selenium
want chromium-driver
want wrk               # load generator of `make bench` (zero drop, data plane)
# Kubernetes tests: etcd and the kube-apiserver build from Debian's source package (scripts/build-kube-apiserver.sh).
for p in golang-go etcd-server rsync jq dpkg-dev golang-github-modern-go-reflect2-dev; do want "$p"; done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing packages ${need[*]}: run as root or install them" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
