#!/usr/bin/env bash
# Installs the system packages respaldo needs to build, test and demo, when missing.
# Idempotent: does nothing (not even `apt-get update`) when everything is installed.
set -euo pipefail

PACKAGES=(
  zlib1g-dev libssl-dev libcurl4-openssl-dev pkg-config
  age
  postgresql postgresql-client
  mariadb-server mariadb-client
  tar gzip pigz
  openssh-server openssh-client
  systemd prometheus   # systemd-analyze, -sysusers, -tmpfiles and promtool, for the tests
  python3 python3-aiosmtpd openssl
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "==> system packages: all present (${PACKAGES[*]})"
  exit 0
fi

echo "==> system packages: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "error: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    echo "       install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "==> system packages: installed ${missing[*]}"
