#!/usr/bin/env bash
# Builds respaldo and runs a real, self-contained demo under ./demo/ (gitignored):
# generates an age key, backs up a few MB of real data encrypted to it, lists and verifies the
# snapshot, then restores it with the stock tools alone (age -d | gunzip | tar -t).
# Re-runnable: the key in demo/key.txt is reused when present; each run adds a snapshot.
# RESPALDO_BIN=/path/to/respaldo skips the build and uses that binary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DEMO="$ROOT/demo"

step() { printf '\n==> %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "checking system packages"
bash scripts/install-deps.sh

if [[ -n "${RESPALDO_BIN:-}" ]]; then
  step "using RESPALDO_BIN=$RESPALDO_BIN (not building)"
  BIN="$RESPALDO_BIN"
else
  step "building respaldo (swift build -c release)"
  swift build -c release
  BIN="$(swift build -c release --show-bin-path)/respaldo"
fi
[[ -x "$BIN" ]] || { echo "error: $BIN was not built" >&2; exit 1; }

mkdir -p "$DEMO"
chmod 0700 "$DEMO"
KEY="$DEMO/key.txt"
CONFIG="$DEMO/respaldo.toml"
# Commands below run from the checkout with relative paths, as an operator would type them.
respaldo() { "$BIN" "$@"; }

if [[ -f "$KEY" ]]; then
  step "reusing the age identity $KEY"
  RECIPIENT="$(age-keygen -y "$KEY")"
else
  step "generating an age identity (respaldo keygen)"
  printf '$ %s\n' "respaldo keygen --output demo/key.txt"
  RECIPIENT="$(respaldo keygen --output demo/key.txt | grep -o 'age1[0-9a-z]*' | head -n1)"
fi
[[ "$RECIPIENT" == age1* ]] || { echo "error: no age1 recipient for $KEY" >&2; exit 1; }
echo "recipient: $RECIPIENT"

SIGNING="$DEMO/signing.key"
if [[ -f "$SIGNING" ]]; then
  step "reusing the signing key $SIGNING"
  PUBLIC="$(ssh-keygen -y -f "$SIGNING")"
else
  step "generating the backup server's Ed25519 signing key (respaldo keygen --signing)"
  printf '$ %s\n' "respaldo keygen --signing --output demo/signing.key"
  PUBLIC="$(respaldo keygen --signing --output demo/signing.key)"
fi
echo "public key: $PUBLIC"
# What a DR host trusts: OpenSSH's allowed_signers format (ssh-keygen -Y verify -f).
printf 'backup@demo %s\n' "$PUBLIC" > "$DEMO/allowed_signers"
chmod 0644 "$DEMO/allowed_signers"

step "writing $CONFIG"
umask 077
cat > "$CONFIG" <<TOML
# respaldo demo configuration (written by scripts/demo.sh)
local_dir = "$DEMO/backups"
state_dir = "$DEMO/state"

[encryption]
recipients = ["$RECIPIENT"]

[signing]
key_file = "$DEMO/signing.key"

[trust]
signers_file = "$DEMO/allowed_signers"
max_age = "36h"

[[jobs]]
name = "demo"
source = "command"
# a tar stream of respaldo's own sources and the OpenSSL headers: a few MB of real data
command = ["tar", "-cf", "-", "-C", "$ROOT", "Sources", "-C", "/usr/include", "openssl"]
compression_level = 6
TOML
chmod 0600 "$CONFIG"
cat "$CONFIG"

step "backing up"
printf '$ %s\n' "respaldo backup --config demo/respaldo.toml"
ID="$(respaldo backup --config demo/respaldo.toml | tail -n1)"
[[ -n "$ID" ]] || { echo "error: respaldo backup printed no snapshot id" >&2; exit 1; }
echo "$ID"

step "listing snapshots"
show respaldo list --config demo/respaldo.toml

step "verifying every stored byte, and with the identity the decrypted, gunzipped content"
show respaldo verify --config demo/respaldo.toml --identity demo/key.txt

step "checking the manifest's signature with stock OpenSSH (ssh-keygen -Y verify)"
MANIFEST="demo/backups/demo/$ID.manifest.json"
show ssh-keygen -Y verify -f demo/allowed_signers -I backup@demo -n respaldo-manifest -s "$MANIFEST.sig" < "$MANIFEST"

ARTIFACT="demo/backups/demo/$ID.dump.gz.age"
step "restoring $ID with stock tools only: age -d | gunzip | tar -t"
show ls -l "demo/backups/demo/$ID".*
printf '$ %s\n' "age -d -i demo/key.txt demo/backups/demo/$ID.dump.gz.age | gunzip | tar -t | head"
set +o pipefail
age -d -i demo/key.txt "$ARTIFACT" | gunzip | tar -t | head
set -o pipefail
COUNT="$(age -d -i demo/key.txt "$ARTIFACT" | gunzip | tar -t | wc -l)"
echo "... $COUNT entries in the archive"

step "demo finished: key $KEY, config $CONFIG, snapshots in $DEMO/backups/demo/"
