#!/usr/bin/env bash
# Cost of [signing] on a 500 MB backup: the same dump, alternating with and without signing.
set -euo pipefail
BIN=${RESPALDO_BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/respaldo}
D=${RESPALDO_BENCH_DIR:-/tmp/respaldo-signbench}; mkdir -p "$D"
[[ -f $D/dump.bin ]] || { head -c 250000000 /dev/urandom > $D/dump.bin; seq -f 'row %g of the sample table, some text to compress' 1 5000000 >> $D/dump.bin; truncate -s 500000000 $D/dump.bin; }
[[ -f $D/key.txt ]] || age-keygen -o $D/key.txt 2>/dev/null
[[ -f $D/signing.key ]] || $BIN keygen --signing --output $D/signing.key >/dev/null
R=$(age-keygen -y $D/key.txt)
for mode in plain signed; do
  mkdir -p $D/$mode/backups $D/$mode/state; chmod 700 $D/$mode $D/$mode/backups $D/$mode/state
  { echo "local_dir = \"$D/$mode/backups\""; echo "state_dir = \"$D/$mode/state\""
    echo "[encryption]"; echo "recipients = [\"$R\"]"
    [[ $mode == signed ]] && { echo "[signing]"; echo "key_file = \"$D/signing.key\""; }
    echo "[[jobs]]"; echo 'name = "db"'; echo 'source = "command"'; echo "command = [\"cat\", \"$D/dump.bin\"]"; } > $D/$mode.toml
  chmod 600 $D/$mode.toml
done
for round in 1 2 3; do
  for mode in plain signed; do
    rm -rf $D/$mode/backups/db
    s=$(date +%s.%N); $BIN backup --config $D/$mode.toml >/dev/null 2>&1; e=$(date +%s.%N)
    echo "round $round $mode $(echo "$e - $s" | bc) s"
  done
done
