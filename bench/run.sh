#!/usr/bin/env bash
# The issue-6 benchmark: respaldo beside `gzip -6 | age`, `pigz -6 -p2 | age`, `restic backup
# --stdin` and `borg create` (zlib,6) on one PostgreSQL dump, and `respaldo restore` beside
# `age -d | gunzip`. Medians of wall time, CPU time (user+sys), peak RSS and stored size over
# several rounds, ratios, a goal check, written to bench/RESULTS.md and printed.
#
#   bash bench/run.sh [--rounds N] [--sftp] [--output FILE]
#
#   --rounds N     rounds per tool (default 3); the order of the tools rotates round by round
#   --sftp         also run the opt-in SFTPThroughputTests (upload/download beside curl)
#   --output FILE  where the Markdown goes (default bench/RESULTS.md)
#
# Environment: BENCH_DIR (work directory, default .bench/), BENCH_SCALE (pgbench scale of the
# generated dump, default 40 = about 670 MB; smaller only to try the script), BENCH_DUMP (use
# this dump file instead), BENCH_THREADS (respaldo's compression_threads; default: its own,
# one per core). Needs root (apt-get, runuser postgres). Installs what it lacks.
set -euo pipefail

rounds=3
sftp=0
invocation="bash bench/run.sh${*:+ $*}"
for var in BENCH_SCALE BENCH_DUMP BENCH_THREADS; do
  [ -z "${!var:-}" ] || invocation="$var=${!var} $invocation"
done
root=$(cd "$(dirname "$0")/.." && pwd)
results=$root/bench/RESULTS.md
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    --sftp) sftp=1; shift ;;
    --output) results=${2:?--output needs a file}; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench: --rounds wants a positive number, not $rounds" >&2; exit 2; }
work=${BENCH_DIR:-$root/.bench}
scale=${BENCH_SCALE:-40}
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SCALE wants a positive number, not $scale" >&2; exit 2; }
umask 077
mkdir -p "$work"
log=$work/run.log
: > "$log"
say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------
packages=(time pigz restic borgbackup postgresql age gzip coreutils)
missing=()
for pkg in "${packages[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" = installed ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); install them or run as root"
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || die "apt-get install ${missing[*]} failed; see $log"
fi

say "building respaldo (release)"
swift build -c release --product respaldo --package-path "$root" >>"$log" 2>&1 || die "release build failed; see $log"
bin=$(swift build -c release --show-bin-path --package-path "$root")/respaldo
[ -x "$bin" ] || die "no binary at $bin"

# --- the dump ----------------------------------------------------------------------------------
notes_rows=$((scale * 17500))
dump=${BENCH_DUMP:-$work/dump-s$scale.sql}
if [ ! -s "$dump" ]; then
  [ -z "${BENCH_DUMP:-}" ] || die "BENCH_DUMP=$dump is missing or empty"
  say "making the dump: pgbench -i -s $scale plus $notes_rows text rows (a few minutes)"
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdata=$(mktemp -d /tmp/respaldo-bench-pg.XXXXXX)
  chown postgres "$pgdata"
  # A Unix socket in the throw-away data directory only: no TCP port to collide with anything.
  stop_pg() { runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >>"$log" 2>&1 || true; rm -rf "$pgdata"; }
  trap stop_pg EXIT
  pg=(-h "$pgdata" -p 5432)
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust >>"$log" 2>&1
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -o "-k $pgdata -c listen_addresses=''" -w start >>"$log" 2>&1
  runuser -u postgres -- "$pgbin/pgbench" "${pg[@]}" -i -s "$scale" postgres >>"$log" 2>&1
  runuser -u postgres -- "$pgbin/psql" "${pg[@]}" -q -v ON_ERROR_STOP=1 postgres >>"$log" 2>&1 <<SQL
CREATE TABLE notes (id serial PRIMARY KEY, author text, body text, created timestamptz);
INSERT INTO notes (author, body, created)
  SELECT 'user' || (i % 997), repeat(md5(i::text) || ' lorem ipsum dolor sit amet ', 6), now() - i * interval '1 minute'
  FROM generate_series(1, $notes_rows) AS i;
SQL
  # Written aside and renamed, so an interrupted run is never mistaken for a dump.
  runuser -u postgres -- "$pgbin/pg_dump" "${pg[@]}" postgres > "$dump.partial"
  mv "$dump.partial" "$dump"
  stop_pg
  trap - EXIT
fi
dump_bytes=$(stat -c %s "$dump")
dump_mb=$(awk -v b="$dump_bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
if [ ! -s "$dump.sha256" ] || [ "$dump.sha256" -ot "$dump" ]; then
  sha256sum < "$dump" | cut -d' ' -f1 > "$dump.sha256"
fi
dump_sha=$(cat "$dump.sha256")
say "dump: $dump ($dump_mb MB)"
[ "$dump_bytes" -ge 500000000 ] || say "note: the dump is under 500 MB; these figures do not answer issue 6"

# --- keys, passwords, configuration ------------------------------------------------------------
key=$work/key.txt
[ -s "$key" ] || "$bin" keygen --output "$key" >>"$log" 2>&1
recipient=$(grep -o 'age1[a-z0-9]*' "$key" | head -1)
[ -n "$recipient" ] || die "no age1 recipient in $key"
pass=$work/repo-password
[ -s "$pass" ] || head -c 24 /dev/urandom | base64 > "$pass"
export RESTIC_PASSWORD_FILE=$pass
BORG_PASSPHRASE=$(cat "$pass")
export BORG_PASSPHRASE
export BORG_DISPLAY_PASSPHRASE=no

run=$work/run   # this round's repositories and outputs; made anew each round
write_config() {
  {
    printf 'local_dir = "%s"\nstate_dir = "%s"\n' "$run/respaldo-local" "$run/respaldo-state"
    printf '[encryption]\nrecipients = ["%s"]\n' "$recipient"
    printf '[[jobs]]\nname = "bench"\nsource = "command"\ncommand = ["cat", "%s"]\ncompression_level = 6\n' "$dump"
    [ -z "${BENCH_THREADS:-}" ] || printf 'compression_threads = %s\n' "$BENCH_THREADS"
  } > "$work/bench.toml"
  chmod 600 "$work/bench.toml"
}
write_config

# --- measuring ---------------------------------------------------------------------------------
samples=$work/samples.tsv   # tool, round, wall s, CPU s, RSS KiB (sum of processes), RSS KiB (largest), bytes
: > "$samples"

# measure TOOL ROUND STDIN STDOUT COMMAND...: one timed run, appended to $samples (bytes filled in later).
# A pipeline's stages write their own peak RSS to $run/rss.* (GNU time on each stage): their sum
# is the pipeline's figure, since the outer GNU time sees only its largest process.
measure() {
  local tool=$1 round=$2 input=$3 output=$4; shift 4
  rm -f "$run"/rss.*
  sync   # the previous tool's dirty pages are not written back during this one
  cat "$dump" > /dev/null   # every tool starts from a warm page cache
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time.txt" "$@" < "$input" > "$output" 2>>"$log"; then
    die "$tool failed in round $round: $(head -1 "$work/time.txt"); see $log"
  fi
  local wall user sys rss sum=0 f
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  for f in "$run"/rss.*; do [ -e "$f" ] && sum=$((sum + $(tail -1 "$f"))); done
  [ "$sum" -gt 0 ] || sum=$rss
  local cpu; cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t' "$tool" "$round" "$wall" "$cpu" "$sum" "$rss" >> "$samples"
  say "  round $round  $(printf '%-22s' "$tool") wall $(printf '%6.2f' "$wall") s  CPU $(printf '%6.2f' "$cpu") s  RSS $((sum / 1024)) MiB"
}
stored() { printf '%s\n' "$1" >> "$samples"; }   # closes the sample line with the stored bytes
tree_bytes() { du -sb "$1" | cut -f1; }

backup_respaldo() {
  measure "respaldo backup" "$1" /dev/null "$run/id.txt" "$bin" backup --no-upload --config "$work/bench.toml"
  snapshot=$(tail -1 "$run/id.txt")
  artifact=$(ls "$run/respaldo-local/bench/$snapshot".*.age)
  stored "$(stat -c %s "$artifact")"
}
backup_gzip_age() {
  measure "gzip -6 | age" "$1" /dev/null /dev/null bash -c \
    'set -o pipefail; /usr/bin/time -f %M -o "$1/rss.1" gzip -6 < "$2" | /usr/bin/time -f %M -o "$1/rss.2" age -r "$3" > "$1/gzip.sql.gz.age"' \
    _ "$run" "$dump" "$recipient"
  stored "$(stat -c %s "$run/gzip.sql.gz.age")"
  rm -f "$run/gzip.sql.gz.age"
}
backup_pigz_age() {
  measure "pigz -6 -p2 | age" "$1" /dev/null /dev/null bash -c \
    'set -o pipefail; /usr/bin/time -f %M -o "$1/rss.1" pigz -6 -p2 < "$2" | /usr/bin/time -f %M -o "$1/rss.2" age -r "$3" > "$1/pigz.sql.gz.age"' \
    _ "$run" "$dump" "$recipient"
  stored "$(stat -c %s "$run/pigz.sql.gz.age")"
  rm -f "$run/pigz.sql.gz.age"
}
backup_restic() {
  export RESTIC_CACHE_DIR=$run/restic-cache
  restic -r "$run/restic" init >>"$log" 2>&1 || die "restic init failed; see $log"
  [ -n "${restic_repo_version:-}" ] ||
    restic_repo_version=$(restic -r "$run/restic" cat config 2>>"$log" | grep -o '"version": *[0-9]*' | grep -o '[0-9]*$' || echo '?')
  measure "restic backup --stdin" "$1" "$dump" /dev/null restic -r "$run/restic" backup -q --stdin --stdin-filename dump.sql
  stored "$(tree_bytes "$run/restic")"
  rm -rf "$run/restic" "$run/restic-cache"
}
backup_borg() {
  export BORG_BASE_DIR=$run/borg-home
  borg init --encryption=repokey "$run/borg" >>"$log" 2>&1 || die "borg init failed; see $log"
  measure "borg create zlib,6" "$1" "$dump" /dev/null borg create --compression zlib,6 --stdin-name dump.sql "$run/borg::a" -
  stored "$(tree_bytes "$run/borg")"
  rm -rf "$run/borg" "$run/borg-home"
}
restore_respaldo() {
  rm -f "$run/restored.sql"
  measure "respaldo restore" "$1" /dev/null /dev/null "$bin" restore "$snapshot" --config "$work/bench.toml" --identity "$key" --output "$run/restored.sql"
  stored "$(stat -c %s "$run/restored.sql")"
  [ "$1" -ne 1 ] || check_sha "respaldo restore" "$run/restored.sql"
  rm -f "$run/restored.sql"
}
restore_age_gunzip() {
  rm -f "$run/gunzipped.sql"
  measure "age -d | gunzip" "$1" /dev/null /dev/null bash -c \
    'set -o pipefail; /usr/bin/time -f %M -o "$1/rss.1" age -d -i "$2" "$3" | /usr/bin/time -f %M -o "$1/rss.2" gunzip > "$1/gunzipped.sql"' \
    _ "$run" "$key" "$artifact"
  stored "$(stat -c %s "$run/gunzipped.sql")"
  [ "$1" -ne 1 ] || check_sha "age -d | gunzip" "$run/gunzipped.sql"
  rm -f "$run/gunzipped.sql"
}
check_sha() {  # what, file: the bytes must be the dump's
  local got; got=$(sha256sum < "$2" | cut -d' ' -f1)
  [ "$got" = "$dump_sha" ] || die "$1 gave SHA-256 $got, the dump's is $dump_sha"
}

backups=(respaldo gzip_age pigz_age restic borg)
restores=(respaldo age_gunzip)
say "measuring: $rounds rounds; the order rotates each round"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
  rm -rf "$run"; mkdir -p "$run"
  for ((i = 0; i < ${#backups[@]}; i++)); do
    "backup_${backups[(i + round - 1) % ${#backups[@]}]}" "$round"
  done
  if [ "$round" -eq 1 ]; then
    # Correctness, once: the artifact is plain age + gzip holding exactly the dump.
    got=$(age -d -i "$key" "$artifact" | gunzip | sha256sum | cut -d' ' -f1)
    [ "$got" = "$dump_sha" ] || die "respaldo's artifact decrypts and gunzips to SHA-256 $got, the dump's is $dump_sha"
    say "  check: respaldo's artifact | age -d | gunzip has the dump's SHA-256"
    grep -q "$dump_sha" "$run/respaldo-local/bench/$snapshot.manifest.json" || die "the manifest does not record the dump's SHA-256"
  fi
  for ((i = 0; i < ${#restores[@]}; i++)); do
    "restore_${restores[(i + round - 1) % ${#restores[@]}]}" "$round"
  done
done
rm -rf "$run"

# --- optional: SFTP upload and download beside curl --------------------------------------------
sftp_report=""
if [ "$sftp" -eq 1 ]; then
  say "SFTP throughput (debug build of the tests, 200 MB, 7 rounds)"
  swift build --build-tests --package-path "$root" >>"$log" 2>&1 || die "test build failed; see $log"
  sftp_report=$(cd "$root" && RESPALDO_SFTP_BENCH_MB=200 RESPALDO_SFTP_BENCH_ROUNDS=7 \
    swift test --skip-build --filter SFTPThroughputTests 2>&1 | tee -a "$log" |
    sed -n '/^SFTP throughput/,/download .*x curl/p') || true
  [ -n "$sftp_report" ] || die "SFTPThroughputTests printed no report; see $log"
fi

# --- report ------------------------------------------------------------------------------------
median() {  # tool column: the median of that column over the tool's rounds
  awk -F'\t' -v t="$1" -v c="$2" '$1 == t { print $c }' "$samples" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "nan"; else printf "%.3f", a / b }'; }
rate() { awk -v b="$dump_bytes" -v w="$1" 'BEGIN { if (w + 0 == 0) print "nan"; else printf "%.3f", b / 1e6 / w }'; }   # MB/s of the dump
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
mark() { awk -v v="$1" -v op="$2" -v lim="$3" 'BEGIN { ok = (op == "le") ? v <= lim : (v >= -lim && v <= lim); print ok ? "✓" : "✗" }'; }
label_of() {  # tool name -> Markdown cell text
  case $1 in
    "gzip -6 | age") echo '`gzip -6 \| age -r`' ;;
    "pigz -6 -p2 | age") echo '`pigz -6 -p2 \| age -r`' ;;
    "age -d | gunzip") echo '`age -d \| gunzip`' ;;
    "restic backup --stdin") echo '`restic backup --stdin`' ;;
    "borg create zlib,6") echo '`borg create -C zlib,6`' ;;
    *) echo "\`$1\`" ;;
  esac
}
pipe() { case $1 in *"|"*) echo " †" ;; *) echo "" ;; esac; }

gz_wall=$(median "gzip -6 | age" 3); restic_wall=$(median "restic backup --stdin" 3)
gz_bytes=$(median "gzip -6 | age" 7); untar_wall=$(median "age -d | gunzip" 3)
r_wall=$(median "respaldo backup" 3); r_rss=$(median "respaldo backup" 5); r_bytes=$(median "respaldo backup" 7)
rr_wall=$(median "respaldo restore" 3); rr_rss=$(median "respaldo restore" 5)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ram_gib=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
threads=${BENCH_THREADS:-$(nproc) (default: one per core)}
version_of() { "$@" 2>&1 | head -1 | sed 's/[[:space:]]*$//'; }

{
  echo "# Benchmark: respaldo beside gzip, pigz, restic and borg (issue 6)"
  echo
  echo "Made by \`$invocation\` on $(date -u +'%Y-%m-%d %H:%M UTC'). Every figure is the median of $rounds rounds; the tools take turns within each round, in an order that rotates from round to round."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $cpu_model, $(nproc) cores (\`nproc\`); RAM: $ram_gib GiB; kernel $(uname -r)"
  echo "- load average when the run started: $load_at_start (1, 5, 15 min); the machine should be otherwise idle"
  echo "- respaldo $("$bin" --version 2>&1 | head -1) (release build), compression_threads = $threads; $(version_of swift --version)"
  echo "- $(version_of gzip --version); $(version_of pigz --version); age $(version_of age --version); $(version_of restic version); $(version_of borg --version); $(version_of pg_dump --version); GNU time $(dpkg-query -W -f='${Version}' time)"
  echo
  echo "## Input"
  echo
  if [ -n "${BENCH_DUMP:-}" ]; then
    echo "- dump: \`$dump\` (given by BENCH_DUMP), $dump_bytes bytes ($dump_mb MB)"
  else
    echo "- dump: \`pg_dump\` of a database filled by \`pgbench -i -s $scale\` plus $notes_rows text-heavy rows, $dump_bytes bytes ($dump_mb MB)"
  fi
  echo "- SHA-256 $dump_sha"
  [ "$dump_bytes" -ge 500000000 ] || echo "- **under 500 MB: a trial of the script, not the issue's measurement**"
  echo
  echo "## Backup"
  echo
  echo "| command | wall s | CPU s | peak RSS MiB | stored MB | MB/s in | wall × gzip\\|age | wall × restic | size × gzip\\|age |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
  for tool in "respaldo backup" "gzip -6 | age" "pigz -6 -p2 | age" "restic backup --stdin" "borg create zlib,6"; do
    w=$(median "$tool" 3); c=$(median "$tool" 4); m=$(median "$tool" 5); b=$(median "$tool" 7)
    echo "| $(label_of "$tool") | $(fmt "$w" %.2f) | $(fmt "$c" %.2f) | $(fmt "$(div "$m" 1024)" %.0f)$(pipe "$tool") | $(fmt "$(div "$b" 1000000)" %.1f) | $(fmt "$(rate "$w")" %.1f) | $(fmt "$(div "$w" "$gz_wall")" %.2f) | $(fmt "$(div "$w" "$restic_wall")" %.2f) | $(fmt "$(div "$b" "$gz_bytes")" %.4f) |"
  done
  echo
  echo "## Restore (respaldo's artifact)"
  echo
  echo "| command | wall s | CPU s | peak RSS MiB | MB/s out | wall × age -d\\|gunzip |"
  echo "|---|--:|--:|--:|--:|--:|"
  for tool in "respaldo restore" "age -d | gunzip"; do
    w=$(median "$tool" 3); c=$(median "$tool" 4); m=$(median "$tool" 5)
    echo "| $(label_of "$tool") | $(fmt "$w" %.2f) | $(fmt "$c" %.2f) | $(fmt "$(div "$m" 1024)" %.0f)$(pipe "$tool") | $(fmt "$(rate "$w")" %.1f) | $(fmt "$(div "$w" "$untar_wall")" %.2f) |"
  done
  echo
  echo "## Goals"
  echo
  echo "| goal | measured | target | met |"
  echo "|---|--:|--:|:-:|"
  v=$(div "$r_wall" "$gz_wall"); echo "| backup wall time vs \`gzip -6 \\| age\` | $(fmt "$v" %.2f)× | ≤ 0.55× | $(mark "$v" le 0.55) |"
  v=$(div "$r_wall" "$restic_wall"); echo "| backup wall time vs \`restic backup --stdin\` | $(fmt "$v" %.2f)× | ≤ 1.00× | $(mark "$v" le 1.0) |"
  v=$(div "$r_rss" 1024); echo "| peak RSS of \`respaldo backup\` | $(fmt "$v" %.1f) MiB | ≤ 64 MiB | $(mark "$v" le 64) |"
  v=$(div "$rr_rss" 1024); echo "| peak RSS of \`respaldo restore\` | $(fmt "$v" %.1f) MiB | ≤ 64 MiB | $(mark "$v" le 64) |"
  v=$(awk -v a="$r_bytes" -v b="$gz_bytes" 'BEGIN { printf "%.3f", (a / b - 1) * 100 }')
  echo "| stored size vs \`gzip -6 \\| age\` | $(fmt "$v" %+.2f) % | within ±1 % | $(mark "$v" within 1) |"
  v=$(div "$rr_wall" "$untar_wall"); echo "| restore wall time vs \`age -d \\| gunzip\` | $(fmt "$v" %.2f)× | ≤ 1.00× | $(mark "$v" le 1.0) |"
  if [ -n "$sftp_report" ]; then
    up=$(printf '%s\n' "$sftp_report" | sed -n 's/.*upload \([0-9.]*\)x curl.*/\1/p')
    echo "| SFTP upload throughput vs \`curl -T\` (SFTPThroughputTests) | $(fmt "$up" %.2f)× | ≥ 0.95× | $(awk -v v="$up" 'BEGIN { print v >= 0.95 ? "✓" : "✗" }') |"
  else
    echo "| SFTP upload throughput vs \`curl -T\` | not run (\`--sftp\`) | ≥ 0.95× | – |"
  fi
  echo
  if [ -n "$sftp_report" ]; then
    echo "## SFTP to a local sshd (\`RESPALDO_SFTP_BENCH_MB=200 RESPALDO_SFTP_BENCH_ROUNDS=7 swift test --filter SFTPThroughputTests\`, debug build)"
    echo
    echo '```'
    printf '%s\n' "$sftp_report"
    echo '```'
    echo
  fi
  echo "## How it was measured"
  echo
  echo "- GNU time (\`/usr/bin/time -f '%e %U %S %M'\`): wall = elapsed; CPU = user + system of the command and every process it waited for (for respaldo that includes its dump command, \`cat\`)."
  echo "- † A shell pipeline's peak RSS is the sum of each stage's own peak (GNU time around each stage): an upper bound of what the pipeline holds at once. GNU time around \`bash -c '…'\` alone reports only the largest process; that figure is in the raw samples. respaldo is one process; its figure is the larger of itself and \`cat\`."
  echo "- Before each run: \`sync\` (so earlier writes are not flushed during it) and a read of the dump (so every tool starts from a warm page cache). Outputs go to the same disk as the dump."
  echo "- respaldo: \`respaldo backup --no-upload\`, a \`command\` job running \`cat DUMP\`, gzip level 6, age to one X25519 recipient, local store only (written to a .partial name, fsynced, renamed, manifest written last). The shell pipelines do not fsync their output."
  echo "- \`gzip -6 < DUMP | age -r R > F\` and \`pigz -6 -p2 < DUMP | age -r R > F\`; stored size = F."
  echo "- restic: a new repository each round (\`restic init\`, password from RESTIC_PASSWORD_FILE, repository version ${restic_repo_version:-?}), \`restic backup --stdin --stdin-filename dump.sql < DUMP\`; restic's default compression (auto, zstd), its own chunking, deduplication and encryption; stored size = the repository's bytes (\`du -sb\`)."
  echo "- borg: a new repository each round (\`borg init --encryption=repokey\`, BORG_PASSPHRASE from a file, BORG_BASE_DIR inside the round), \`borg create --compression zlib,6 REPO::a - < DUMP\`; stored size = the repository's bytes."
  echo "- Restore: \`respaldo restore ID --identity KEY --output F\` (checks the artifact and plain SHA-256, writes a .partial name, fsyncs and renames, so F appears only complete) beside \`age -d -i KEY ARTIFACT | gunzip > F\`, both on respaldo's artifact; the pipeline does not fsync."
  echo "- Checked once (round 1): respaldo's artifact through \`age -d | gunzip\` has the dump's SHA-256, its manifest records that hash, and both restores write exactly the dump."
  echo
  echo "## Raw samples"
  echo
  echo "| command | round | wall s | CPU s | RSS KiB (sum of processes) | RSS KiB (largest process) | bytes |"
  echo "|---|--:|--:|--:|--:|--:|--:|"
  sort -t$'\t' -k1,1 -k2,2n "$samples" | while IFS=$'\t' read -r t r w c s m b; do
    echo "| $(label_of "$t") | $r | $w | $c | $s | $m | $b |"
  done
} > "$results.partial"
mv "$results.partial" "$results"
chmod 644 "$results"
say ""
say "written: $results"
sed -n '/^## Backup/,/^## How it was measured/p' "$results" | sed '$d'
