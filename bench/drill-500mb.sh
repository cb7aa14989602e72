#!/usr/bin/env bash
# Restore drill of a PostgreSQL database of over 500 MB from its SFTP copy, end to end:
# a throw-away PostgreSQL on 127.0.0.1 (pgbench tables plus text-heavy rows, password auth),
# a throw-away sshd on 127.0.0.1 as the geo remote, `respaldo backup` (encrypted, uploaded),
# the local copy removed, then `respaldo drill --remote geo`. Prints the drill's summary and
# its JSON report. Usage:
#   bash bench/drill-500mb.sh            (PGBENCH_SCALE=40 NOTES=700000 by default)
# Everything lives under $BENCH_DIR (default .bench/drill) and is removed at the end unless
# KEEP=1; the servers are stopped by PID. Needs the postgresql and openssh-server packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$root/.bench/drill}
scale=${PGBENCH_SCALE:-40}
notes=${NOTES:-700000}
rm -rf "$work"
mkdir -p "$work"
chmod 711 "$work"  # postgres must reach its folder inside; the secrets in it are 0600
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
swift build -c release --product respaldo --package-path "$root" >/dev/null
bin=$root/.build/release/respaldo

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$work/pg
sshdir=$work/sshd
pg_port=55437
ssh_port=55438
sshd_pid=
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  [ -f "$pgdir/data/postmaster.pid" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w stop >/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

echo "==> PostgreSQL on 127.0.0.1:$pg_port"
mkdir -p "$pgdir"; chown postgres "$pgdir"; chmod 700 "$pgdir"
password=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$password" > "$pgdir/pwfile"; chown postgres "$pgdir/pwfile"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -U postgres --pwfile="$pgdir/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 --no-sync >/dev/null
rm "$pgdir/pwfile"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pg_port -k $pgdir -c listen_addresses=127.0.0.1 -c max_wal_size=2GB" start >/dev/null
psql_local() { runuser -u postgres -- psql -X -q -h "$pgdir" -p $pg_port "$@"; }
psql_local -d postgres -c "CREATE DATABASE crm"
echo "==> filling crm: pgbench scale $scale, $notes notes (a few minutes)"
runuser -u postgres -- "$pgbin/pgbench" -h "$pgdir" -p $pg_port -i -q -s "$scale" crm >/dev/null 2>&1
psql_local -d crm -c "
  CREATE TABLE notes (id serial PRIMARY KEY, account integer REFERENCES pgbench_accounts(aid), author text, body text, created timestamptz);
  INSERT INTO notes (account, author, body, created)
    SELECT 1 + i % ($scale * 100000), 'user' || (i % 997), repeat(md5(i::text) || ' lorem ipsum dolor sit amet ', 6), now() - i * interval '1 minute'
    FROM generate_series(1, $notes) AS i;
  CREATE INDEX notes_author_idx ON notes (author);"
psql_local -d crm -c "VACUUM ANALYZE"
echo "database crm: $(psql_local -d crm -Atc "SELECT pg_size_pretty(pg_database_size('crm')) || ' (' || pg_database_size('crm') || ' bytes)'")"

echo "==> sshd on 127.0.0.1:$ssh_port"
mkdir -p "$sshdir/remote" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$sshdir/host"
ssh-keygen -q -t ed25519 -N '' -f "$sshdir/client"
cp "$sshdir/client.pub" "$sshdir/authorized_keys"
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$sshdir/host.pub")" > "$sshdir/known_hosts"
cat > "$sshdir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $ssh_port
HostKey $sshdir/host
AuthorizedKeysFile $sshdir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $sshdir/sshd.pid
Subsystem sftp internal-sftp
PermitRootLogin prohibit-password
CONF
/usr/sbin/sshd -D -e -f "$sshdir/sshd_config" 2> "$sshdir/log" &
sshd_pid=$!
sleep 1

# Runs a command, printing its wall time and its own peak RSS (VmHWM sampled from /proc: the
# process itself, not its children or what wait4 inherits across exec).
measure() {  # label, command...
  local label=$1; shift
  local start=$(date +%s.%N) peak=0 hwm
  "$@" & local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
    sleep 0.05
  done
  local status=0
  wait "$pid" || status=$?
  printf '%s: %.1f s wall, peak RSS %d MiB\n' "$label" "$(echo "$(date +%s.%N) - $start" | bc)" $((peak / 1024))
  return $status
}

umask 077
echo "$password" > "$work/pg.pass"
"$bin" keygen --output "$work/key.txt" >/dev/null
recipient=$(grep -o 'age1[a-z0-9]*' "$work/key.txt" | head -1)
cat > "$work/respaldo.toml" <<TOML
local_dir = "$work/local"
state_dir = "$work/state"
[encryption]
recipients = ["$recipient"]
[[remotes]]
name = "geo"
url = "sftp://$(id -un)@127.0.0.1:$ssh_port$sshdir/remote"
identity_file = "$sshdir/client"
known_hosts = "$sshdir/known_hosts"
[[jobs]]
name = "crm"
source = "postgres"
database = "crm"
host = "127.0.0.1"
port = $pg_port
user = "postgres"
password_file = "$work/pg.pass"
remotes = ["geo"]
[jobs.drill]
checks = ["SELECT count(*) = $scale * 100000 FROM pgbench_accounts", "SELECT count(*) > 0 FROM notes WHERE author = 'user1'"]
TOML

echo "==> respaldo backup crm (to local and geo)"
measure backup "$bin" backup --config "$work/respaldo.toml" crm
rm -rf "$work/local/crm"
echo "local copy removed; the drill reads the SFTP copy only"

echo "==> respaldo drill crm --remote geo"
status=0
measure drill "$bin" drill --config "$work/respaldo.toml" crm --remote geo \
  --identity "$work/key.txt" --report "$work/report.json" || status=$?
echo "==> report ($work/report.json)"
cat "$work/report.json"
echo "scratch databases left: $(psql_local -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname LIKE 'respaldo\_drill\_%'")"
exit $status
