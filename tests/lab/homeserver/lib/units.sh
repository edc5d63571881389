# Unit transitions: the one writer of state/units, state/unit-meta and the journal events.
. "$LIB/journal.sh"

# hex64 -> $HEX: 64 random hex digits (container ids, invocation ids), without forking.
hex64() {
  HEX=
  local i
  for ((i = 0; i < 8; i++)); do
    printf -v HEX '%s%08x' "$HEX" $(((RANDOM << 17 | RANDOM << 2 | RANDOM & 3) & 0xffffffff))
  done
}

# unit_set UNIT active|inactive|failed|restart — applies a transition like systemd would and
# journals what systemd and the container print on the way.
unit_set() {
  local unit=$1 want=$2 t
  unit_load "$unit"
  now_us
  t=$NOW_US
  # A start still migrating when the service stops or restarts never finishes: its markers stay unwritten.
  [[ $unit == matrix-tuwunel && $want != active ]] &&
    rm -f "$STATE/tuwunel/starting" "$JOURNAL/matrix-tuwunel.later"
  case $want in
  restart)
    [[ $U_STATE == active ]] && journal_stop_events "$unit" "$t" && t=$((t + 400000))
    unit_start "$unit" "$t"
    ;;
  active)
    [[ $U_STATE == active ]] && return 0
    unit_start "$unit" "$t"
    ;;
  inactive)
    if [[ $U_STATE == active ]]; then
      journal_stop_events "$unit" "$t"
      unit_write "$unit" inactive "$t" 0 "$U_RESTARTS" "$U_CID" "$U_CREATED" 0 success "$U_INVOCATION"
    elif [[ $U_STATE == failed ]]; then
      # reset-failed / stop of a failed unit: the failure record goes away, nothing is printed.
      unit_write "$unit" inactive "$U_SINCE" 0 "$U_RESTARTS" "$U_CID" "$U_CREATED" "$U_EXIT" success "$U_INVOCATION"
    fi
    ;;
  failed)
    [[ $U_STATE == active ]] && journal_fail_events "$unit" "$t"
    unit_write "$unit" failed "$t" 0 "$U_RESTARTS" "$U_CID" "$U_CREATED" 1 exit-code "$U_INVOCATION"
    ;;
  esac
}

# Whether RocksDB's LOCK is free: a one-off `docker run … tuwunel` holds an flock on it while it runs.
tuwunel_lock_free() {
  local fd free=0
  [[ -e $STATE/tuwunel/LOCK ]] || return 0
  exec {fd}>>"$STATE/tuwunel/LOCK"
  flock -n "$fd" || free=1
  exec {fd}>&-
  return $free
}

unit_start() {
  local unit=$1 t=$2 pid
  if [[ $unit == matrix-tuwunel ]] && ! tuwunel_lock_free; then
    # The service's container cannot open the database another Tuwunel holds: it exits at once (systemd
    # would keep restarting it under Restart=always; the lab leaves it failed).
    iso_ts "$t"
    local msg='IO error: While lock file: /var/lib/tuwunel/LOCK: Resource temporarily unavailable'
    unit_info "$unit"
    journal_append "$unit" "$t	systemd	1	6	journal	Starting $unit.service - $U_DESC..." \
      "$((t + 90000))	systemd	1	6	journal	Started $unit.service - $U_DESC." \
      "$((t + 200000))	$unit	$((2000 + RANDOM % 60000))	6	stdout	  $ISO ERROR tuwunel: Critical error starting server: $msg" \
      "$((t + 300000))	systemd	1	5	journal	$unit.service: Main process exited, code=exited, status=1/FAILURE" \
      "$((t + 301000))	systemd	1	4	journal	$unit.service: Failed with result 'exit-code'."
    unit_write "$unit" failed "$((t + 301000))" 0 "$U_RESTARTS" "$U_CID" "$U_CREATED" 1 exit-code "$U_INVOCATION"
    return 0
  fi
  hex64
  local cid=$HEX
  hex64
  local inv=${HEX:0:32}
  pid=$((2000 + RANDOM % 60000))
  BOOT_ACTIVE=
  if [[ $unit == matrix-tuwunel ]]; then
    . "$LIB/tuwunel-boot.sh"
    boot_service "$t" "$pid"
  fi
  journal_start_events "$unit" "$t" "$pid" "$cid"
  unit_write "$unit" active "$t" "$pid" "$U_RESTARTS" "$cid" "$t" 0 success "$inv"
}

unit_write() {
  local unit=$1
  mkdir -p "$STATE/unit-meta" 2>/dev/null || [[ -d $STATE/unit-meta ]]
  # since, main pid, restarts, container id, created, exit status, result, invocation id
  printf '%s %s %s %s %s %s %s %s\n' "$3" "$4" "$5" "$6" "$7" "$8" "$9" "${10}" >"$STATE/unit-meta/$unit.tmp"
  printf '%s\n' "$2" >"$STATE/units/$unit.tmp"
  command mv -f "$STATE/unit-meta/$unit.tmp" "$STATE/unit-meta/$unit"
  command mv -f "$STATE/units/$unit.tmp" "$STATE/units/$unit"
}
