#!/usr/bin/env bash
# Measures `respaldo backup` beside `gzip -6 | age -r` on the same dump file, in one run:
# wall time, CPU time (user+sys) and peak RSS, via GNU time. Usage:
#   bash bench/backup-vs-gzip-age.sh [DUMP_FILE]
# Without DUMP_FILE it makes one: a pg_dump of a pgbench database (scale 60) plus text-heavy
# rows, from a throw-away PostgreSQL on 127.0.0.1 (needs the postgresql and time packages).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$root/.bench}
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
swift build -c release --product respaldo --package-path "$root" >/dev/null
bin=$root/.build/release/respaldo

dump=${1:-$work/dump.sql}
if [ ! -s "$dump" ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdata=$(mktemp -d); chown postgres "$pgdata"
  port=55432
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -o "-p $port -k $pgdata -c listen_addresses=127.0.0.1" -w start >/dev/null
  trap 'runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null; rm -rf "$pgdata"' EXIT
  runuser -u postgres -- "$pgbin/pgbench" -h 127.0.0.1 -p $port -i -s 40 postgres >/dev/null 2>&1
  runuser -u postgres -- psql -h 127.0.0.1 -p $port -q postgres -c "
    CREATE TABLE notes (id serial PRIMARY KEY, author text, body text, created timestamptz);
    INSERT INTO notes (author, body, created)
      SELECT 'user' || (i % 997), repeat(md5(i::text) || ' lorem ipsum dolor sit amet ', 6), now() - i * interval '1 minute'
      FROM generate_series(1, 700000) AS i;"
  runuser -u postgres -- pg_dump -h 127.0.0.1 -p $port postgres > "$dump"
fi
size=$(stat -c %s "$dump")
echo "dump: $dump ($((size / 1000000)) MB)"

key=$work/key.txt
[ -f "$key" ] || "$bin" keygen --output "$key" >/dev/null
recipient=$(grep -o 'age1[a-z0-9]*' "$key" | head -1)
rm -rf "$work/local" "$work/state"
cat > "$work/bench.toml" <<TOML
local_dir = "$work/local"
state_dir = "$work/state"
[encryption]
recipients = ["$recipient"]
[[jobs]]
name = "bench"
source = "command"
command = ["cat", "$dump"]
TOML
chmod 600 "$work/bench.toml"

measure() {  # label, command...
  local label=$1; shift
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  cat "$dump" > /dev/null   # both start from a warm page cache
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" > /dev/null
  read -r wall user sys rss < "$work/time.txt"
  printf '| %-28s | %7.2f | %7.2f | %8.1f |\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss / 1024" | bc -l)"
}
echo
echo "| command                      | wall s  | CPU s   | RSS MiB  |"
echo "|------------------------------|---------|---------|----------|"
for round in 1 2; do
  measure "respaldo backup (round $round)" "$bin" backup --config "$work/bench.toml"
  measure "gzip -6 | age -r (round $round)" bash -c "gzip -6 < '$dump' | age -r $recipient > '$work/pipe.gz.age'"
done
echo
ls -l "$work"/local/bench/*.age "$work/pipe.gz.age" | awk '{print $5, $9}'
echo "(RSS for the shell pipeline is its largest process; respaldo's includes its dump command 'cat')"
