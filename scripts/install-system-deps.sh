#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only those missing. Safe to run repeatedly.
set -euo pipefail
need=()
want() { dpkg -s "$1" >/dev/null 2>&1 || need+=("$1"); }
# (packages are added here as the suite grows)
want chromium          # browser tests of the diag UI (tests/browser), driven by Selenium
want chromium-driver
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing packages ${need[*]}: run as root or install them" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
