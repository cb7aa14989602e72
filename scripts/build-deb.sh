#!/usr/bin/env bash
# Builds the Debian package: respaldo_<version>_amd64.deb, in the checkout's root (or the
# folder given), from this checkout.
#
#   bash scripts/build-deb.sh [OUTPUT_FOLDER]
#
# The binary is a release build with the Swift runtime and Foundation linked statically
# (-static-stdlib): the package needs no Swift toolchain, only Debian's libc, libcurl, libssl
# and zlib. Man pages (one per command) come from swift-argument-parser's generate-manual,
# completions from its generator (scripts/completions.sh). The build keeps its own
# scratch folder (.build-deb), so the next package after a change rebuilds only what changed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$root}" && cd "${1:-$root}" && pwd)
scratch="$root/.build-deb"
version=$(sed -n 's/^public let respaldoVersion = "\(.*\)"$/\1/p' "$root/Sources/RespaldoCore/Jobs/Manifest.swift")
[[ -n "$version" ]] || { echo "build-deb.sh: no respaldoVersion in Sources/RespaldoCore/Jobs/Manifest.swift" >&2; exit 1; }
for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool is missing: bash scripts/install-deps.sh" >&2; exit 1; }
done

cd "$root"
echo "==> [1/4] release build, static Swift runtime, and man pages (generate-manual)"
# The man pages come from swift-argument-parser's generate-manual, the tool its generate-manual
# plugin runs. The plugin itself builds every target of the package first, and the test
# support targets (Tests/StoreContract imports XCTest) do not build outside a test build: the
# tool is built and run here the way the plugin runs it.
build=(swift build -c release -Xswiftc -static-stdlib --scratch-path "$scratch")
"${build[@]}" --product respaldo
"${build[@]}" --product generate-manual
binary="$scratch/release/respaldo"
manuals="$scratch/manuals"
rm -rf "$manuals" && mkdir -p "$manuals"
"$scratch/release/generate-manual" "$binary" --multi-page --authors "respaldo maintainers" --section 1 --output-directory "$manuals"
[[ -x "$binary" ]] || { echo "build-deb.sh: $binary was not built" >&2; exit 1; }
if ldd "$binary" | grep -qiE 'libswift|libFoundation'; then
  echo "build-deb.sh: $binary links the Swift runtime dynamically:" >&2; ldd "$binary" >&2; exit 1
fi

echo "==> [2/4] package tree"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree="$work/respaldo-$version"
mkdir -p "$tree/staging/man"
cp -r "$root/packaging/debian" "$tree/debian"
install -m 0755 "$binary" "$tree/staging/respaldo"
install -m 0644 "$root/etc/respaldo/respaldo.toml" "$tree/staging/respaldo.toml"
install -m 0644 "$manuals"/*.1 "$tree/staging/man/"
bash "$root/scripts/completions.sh" "$binary" "$tree/staging/completions"
# bash-completion finds a command's file by the command's name.
install -D -m 0644 "$tree/staging/completions/respaldo.bash" "$tree/staging/bash-completion/respaldo"
# The unit, sysusers and tmpfiles files go where dh_installsystemd, dh_installsysusers and
# dh_installtmpfiles look; the packaged binary is /usr/bin/respaldo, not /usr/local/bin.
sed 's|/usr/local/bin/respaldo|/usr/bin/respaldo|g' "$root/systemd/respaldo.service" > "$tree/debian/respaldo.service"
cp "$root/systemd/respaldo.sysusers" "$tree/debian/respaldo.sysusers"
cp "$root/systemd/respaldo.tmpfiles" "$tree/debian/respaldo.tmpfiles"
# Another engineer's alerting rules, when the checkout has them.
if [[ -f "$root/contrib/prometheus/respaldo.rules.yml" ]]; then
  install -m 0644 "$root/contrib/prometheus/respaldo.rules.yml" "$tree/staging/respaldo.rules.yml"
  echo "staging/respaldo.rules.yml usr/share/respaldo/prometheus" >> "$tree/debian/respaldo.install"
fi
cat > "$tree/debian/changelog" <<CHANGELOG
respaldo ($version) unstable; urgency=medium

  * Built from $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "a checkout").

 -- respaldo maintainers <maintainers@users.noreply.r-seed-c0002d8a.example>  $(date -R)
CHANGELOG

echo "==> [3/4] dpkg-buildpackage"
(cd "$tree" && dpkg-buildpackage -b -us -uc --no-sign >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }
deb="respaldo_${version}_amd64.deb"
cp "$work/$deb" "$out/$deb"

echo "==> [4/4] lintian"
lintian --fail-on error --suppress-tags-from-file /dev/null "$out/$deb" || { echo "build-deb.sh: lintian reports errors" >&2; exit 1; }
echo "$out/$deb"
