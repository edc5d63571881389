# Tuwunel's start-up between "Opened database" and "Listening on": the one-time migrations a newer release
# runs on an older database, and a server that fails once started (the lab's fault switch: its listener
# cannot open, "Critical error running server" in src/main/lib.rs, so a one-off container in maintenance
# mode, which does not listen, still runs). Sourced only when the
# matrix-tuwunel service starts, a one-off container opens the database, or a start is still under way
# (common.sh looks for state/tuwunel/starting), so the status poll's commands do not parse it.
#
# From matrix-construct/tuwunel src/service/migrations at the tags:
#   1.8.0  rebuild_roomid_tscount_pducount (mod.rs): "Rebuilding roomid_tscount_pducount index for
#          same-timestamp event ordering", then "Rebuilt roomid_tscount_pducount index" count=… (RELEASE.md:
#          "lengthens first startup on large instances").
#   1.9.0  injectivity::fix, ahead of the others (mod.rs migrations()): clear_chain_cache ("Discarding cached
#          auth chains; entries from earlier releases may be truncated."), scan ("Scanning ShortID columns for
#          duplicate values..."), repair ("Short id mappings verified injective.") (RELEASE.md: "four full
#          column scans … The duration is unknown").
# A migration leaves its marker in the database (the `global` column); the lab keeps them in
# state/tuwunel/migrations, which backups hold and --restore-backup brings back. How long each takes:
# state/tuwunel/migration-seconds ("1.8.0 <s>" / "1.9.0 <s>", startLab's migrationSeconds).
#
# While it migrates the container runs (the unit is active: MDAD's unit is Type=simple) but nothing listens:
# the HTTPS side answers 502, Docker's health check (1.8.2) fails. state/tuwunel/starting holds
#   <listening µs> <unit since µs> <ok|fail> <markers…>
# until the first stand-in that runs after <listening µs> settles it (tuwunel_settle): the markers are
# committed and, for a failed start, the unit fails. state/journal/matrix-tuwunel.later holds the journal lines
# dated after now until then.

MIGRATIONS=$STATE/tuwunel/migrations
PDU_COUNT=184467

migration_done() { # marker -> true when the database has it
  [[ -f $MIGRATIONS ]] && grep -qxF -- "$1" "$MIGRATIONS"
}

migration_seconds() { # release -> MIG_US
  local rel s frac whole
  MIG_US=0
  [[ -f $STATE/tuwunel/migration-seconds ]] || return 0
  while read -r rel s; do
    [[ $rel == "$1" ]] || continue
    whole=${s%%.*} frac=
    [[ $s == *.* ]] && frac=${s#*.}
    frac=${frac}000000
    MIG_US=$((10#${whole:-0} * 1000000 + 10#${frac:0:6}))
  done <"$STATE/tuwunel/migration-seconds"
}

# boot_plan VERSION T [SKIP] -> BOOT_LINES (tracing lines with their µs: "<µs> <text>"), BOOT_LISTEN_US (when
# the listener opens), BOOT_MARKERS (what the migrations leave), BOOT_FAIL (the start fault's message, if any).
# SKIP: `-O database_migrations=false` (migrations/mod.rs: warns and runs none, 1.7.0–1.9.0).
boot_plan() {
  local v=$1 t=$2 skip=${3-}
  BOOT_LINES=() BOOT_MARKERS=() BOOT_FAIL=
  if [[ $skip ]]; then
    iso_ts "$t"
    BOOT_LINES+=("$t $ISO  WARN main:start: tuwunel_service::migrations: Skipping database migrations due to configuration...")
  fi
  version_at_least_boot() {
    local IFS=. a b i
    read -ra a <<<"$v"
    read -ra b <<<"$1"
    for i in 0 1 2; do
      ((${a[i]:-0} > ${b[i]:-0})) && return 0
      ((${a[i]:-0} < ${b[i]:-0})) && return 1
    done
    return 0
  }
  if [[ ! $skip ]] && version_at_least_boot 1.9.0 && ! migration_done fix_short_injectivity; then
    migration_seconds 1.9.0
    iso_ts "$t"
    BOOT_LINES+=("$t $ISO  WARN main:start: tuwunel_service::migrations::injectivity: Discarding cached auth chains; entries from earlier releases may be truncated.")
    BOOT_LINES+=("$t $ISO  INFO main:start: tuwunel_service::migrations::injectivity::scan: Scanning ShortID columns for duplicate values...")
    t=$((t + MIG_US))
    iso_ts "$t"
    BOOT_LINES+=("$t $ISO  INFO main:start: tuwunel_service::migrations::injectivity::repair: Short id mappings verified injective.")
    BOOT_MARKERS+=(clear_auth_chain_cache fix_short_injectivity)
  fi
  if [[ ! $skip ]] && version_at_least_boot 1.8.0 && ! migration_done rebuild_roomid_tscount_pducount; then
    migration_seconds 1.8.0
    iso_ts "$t"
    BOOT_LINES+=("$t $ISO  WARN main:start: tuwunel_service::migrations: Rebuilding roomid_tscount_pducount index for same-timestamp event ordering")
    t=$((t + MIG_US))
    iso_ts "$t"
    BOOT_LINES+=("$t $ISO  INFO main:start: tuwunel_service::migrations: Rebuilt roomid_tscount_pducount index count=$PDU_COUNT")
    BOOT_MARKERS+=(rebuild_roomid_tscount_pducount)
  fi
  BOOT_LISTEN_US=$t
  if [[ -f $STATE/tuwunel/start-faults/$v ]]; then
    IFS= read -r -d '' BOOT_FAIL <"$STATE/tuwunel/start-faults/$v" || true
    BOOT_FAIL=${BOOT_FAIL%$'\n'}
    [[ $BOOT_FAIL ]] || BOOT_FAIL='I/O error: Address already in use (os error 98)'
  fi
}

migrations_commit() { # markers...
  (($#)) || return 0
  printf '%s\n' "$@" >>"$MIGRATIONS"
}

# The error line async_run logs when the running server fails (src/main/lib.rs).
critical_line() { # µs, message -> CRITICAL
  iso_ts "$1"
  CRITICAL="$ISO ERROR main: tuwunel: Critical error running server: $2"
}

# tuwunel_settle: a start whose listener time has passed becomes what it was going to be.
# One settler at a time holds state/tuwunel/settle.lock; state/tuwunel/starting stays in place until the outcome
# is written (the markers, the journal's later lines, a failed unit): the HTTPS side reads "no start under way"
# as listening, so a failing start must never be without both its starting file and its failed unit.
tuwunel_settle() {
  local listen since outcome markers record fd
  read -r listen _ 2>/dev/null <"$STATE/tuwunel/starting" || return 0
  now_us
  ((NOW_US < listen)) && return 0
  exec {fd}>>"$STATE/tuwunel/settle.lock"
  if ! flock -n "$fd"; then
    exec {fd}>&-
    return 0
  fi
  # Read again under the lock: another settler may have finished, or a new start begun.
  if ! IFS= read -r record 2>/dev/null <"$STATE/tuwunel/starting"; then
    exec {fd}>&-
    return 0
  fi
  read -r listen since outcome markers <<<"$record"
  now_us
  if ((NOW_US < listen)); then
    exec {fd}>&-
    return 0
  fi
  . "$LIB/units.sh"
  unit_load matrix-tuwunel
  local later=$JOURNAL/matrix-tuwunel.later line
  if [[ $U_STATE == active && $U_SINCE == "$since" ]]; then
    # shellcheck disable=SC2086 # the markers are words
    migrations_commit $markers
    if [[ -f $later ]]; then
      while IFS= read -r line; do printf '%s\n' "$line" >>"$JOURNAL/matrix-tuwunel.log"; done <"$later"
    fi
    if [[ $outcome == fail ]]; then
      journal_fail_events matrix-tuwunel "$((listen + 100000))"
      unit_write matrix-tuwunel failed "$((listen + 101000))" 0 "$U_RESTARTS" "$U_CID" "$U_CREATED" 1 exit-code "$U_INVOCATION"
    fi
  fi
  # Only the start this settler read: a restart in the meantime wrote its own.
  local now_record=
  IFS= read -r now_record 2>/dev/null <"$STATE/tuwunel/starting"
  [[ $now_record == "$record" ]] && rm -f "$later" "$STATE/tuwunel/starting"
  exec {fd}>&-
}

# boot_service T PID: plans the service's start at unit time T (its tracing lines from T+200 ms, as the lab's
# journal dates them). BOOT_ACTIVE is set when there is more than the plain start (a migration, a failure):
# then START_NOW holds the journal lines of the start itself, and state/tuwunel/starting and the journal's
# later lines wait for tuwunel_settle. state/tuwunel/listening-us is when the listener opens (Docker's health).
boot_service() {
  local t=$1 pid=$2 l us text later=()
  tuwunel_version
  boot_plan "$TUWUNEL_VERSION" "$((t + 200000))"
  # Listening once the migrations' time has passed from now (the journal dates a restart's start a little
  # ahead; the listener does not wait for that).
  now_us
  local listen=$((NOW_US + BOOT_LISTEN_US - t - 200000))
  printf '%s\n' "$listen" >"$STATE/tuwunel/listening-us"
  BOOT_ACTIVE= START_NOW=()
  ((${#BOOT_LINES[@]})) || [[ $BOOT_FAIL ]] || return 0
  BOOT_ACTIVE=1
  for l in "${BOOT_LINES[@]}"; do
    us=${l%% *} text=${l#* }
    if ((us <= t + 200000)); then START_NOW+=("$us	matrix-tuwunel	$pid	6	stdout	$text")
    else later+=("$us	matrix-tuwunel	$pid	6	stdout	$text"); fi
  done
  iso_ts "$BOOT_LISTEN_US"
  later+=("$BOOT_LISTEN_US	matrix-tuwunel	$pid	6	stdout	$ISO  INFO main:start: tuwunel_service::services: Services startup complete.")
  if [[ $BOOT_FAIL ]]; then
    critical_line "$BOOT_LISTEN_US" "$BOOT_FAIL"
    later+=("$BOOT_LISTEN_US	matrix-tuwunel	$pid	6	stdout	$CRITICAL")
  else
    later+=("$BOOT_LISTEN_US	matrix-tuwunel	$pid	6	stdout	$ISO  INFO main:run: tuwunel_router::serve::plain: Listening on [0.0.0.0:6167]")
  fi
  printf '%s\n' "${later[@]}" >"$JOURNAL/matrix-tuwunel.later"
  local outcome=ok
  [[ $BOOT_FAIL ]] && outcome=fail
  printf '%s %s %s %s\n' "$listen" "$t" "$outcome" "${BOOT_MARKERS[*]}" >"$STATE/tuwunel/starting.tmp"
  command mv -f "$STATE/tuwunel/starting.tmp" "$STATE/tuwunel/starting"
}

# boot_oneoff VERSION MAINTENANCE SKIP: a one-off container (`docker run … tuwunel`) opening the database
# prints what the migrations print, takes their time and leaves their markers (maintenance mode does not stop
# them; `-O database_migrations=false` does); the fault switch ends it only when it would listen.
boot_oneoff() {
  now_us
  boot_plan "$1" "$NOW_US" "$3"
  local l us
  for l in "${BOOT_LINES[@]}"; do
    us=${l%% *}
    now_us
    ((us > NOW_US)) && sleep "$(((us - NOW_US) / 1000000)).$(printf '%06d' $(((us - NOW_US) % 1000000)))"
    printf '%s\n' "${l#* }"
  done
  migrations_commit "${BOOT_MARKERS[@]}"
  if [[ $BOOT_FAIL && ! $2 ]]; then
    now_us
    critical_line "$NOW_US" "$BOOT_FAIL"
    printf '%s\n' "$CRITICAL"
    printf 'Error: %s\n' "$BOOT_FAIL" >&2
    return 1
  fi
}
