# The journal of the homeserver's units. Events (systemd's messages, container start/stop output)
# are appended to state/journal/<unit>.log as
#   <realtime µs> TAB <identifier> TAB <pid> TAB <priority> TAB <transport> TAB <message>
# Lines a running container keeps writing are synthesised on read from the unit's start time
# (one every state/journal/interval seconds), so nothing has to run in the background.

. "$LIB/unit-info.sh"
JOURNAL=$STATE/journal

journal_append() { # unit, then lines already formatted
  local unit=$1
  shift
  printf '%s\n' "$@" >>"$JOURNAL/$unit.log"
}

iso_ts() { # µs -> $ISO like tracing's 2026-11-26T14:31:02.123456Z
  printf -v ISO '%(%Y-%m-%dT%H:%M:%S)T.%06dZ' $(($1 / 1000000)) $(($1 % 1000000))
}

# Lines a unit's container prints when it starts, stops, and periodically (index $3).
container_lines() { # unit, kind (start|stop|tick), µs, [tick index]
  local unit=$1 kind=$2 t=$3 k=${4:-0}
  LINES=()
  iso_ts "$t"
  case $unit in
  matrix-tuwunel)
    tuwunel_version
    case $kind in
    start) LINES=(
      "$ISO  INFO main: tuwunel::server: $TUWUNEL_VERSION server_name=\"$(<"$STATE/host/server_name")\" database_path=\"/var/lib/tuwunel\" log_levels=\"info\""
      "$ISO  INFO main:start:open: tuwunel_database::engine::open: Opened database. columns=91 sequence=184467 time=212.318ms"
      "$ISO  INFO main:start: tuwunel_service::services: Services startup complete."
      "$ISO  INFO main:run: tuwunel_router::serve::plain: Listening on [0.0.0.0:6167]"
    ) ;;
    stop) LINES=(
      "$ISO  WARN main:signal: tuwunel::signals: Received SIGTERM"
      "$ISO  INFO main:stop: tuwunel_service::services: Shutting down services..."
      "$ISO  INFO main:stop: tuwunel_router::run: Shutdown complete."
    ) ;;
    tick)
      case $((k % 3)) in
      0) LINES=("$ISO  INFO main:run:sender: tuwunel_service::sending::sender: Sending queued PDUs and EDUs destinations=2") ;;
      1) LINES=("$ISO  WARN main:run:presence: tuwunel_service::presence: presence timer fired for 1 users") ;;
      2) LINES=("$ISO  INFO main:run: tuwunel_service::rooms::timeline: Appended PDU to room timeline") ;;
      esac
      ;;
    esac
    ;;
  matrix-postgres)
    printf -v ISO '%(%Y-%m-%d %H:%M:%S)T.%03d UTC' $((t / 1000000)) $((t / 1000 % 1000))
    case $kind in
    start) LINES=(
      "$ISO [1] LOG:  starting PostgreSQL 18.0 on x86_64-pc-linux-musl, compiled by gcc (Alpine 14.2.0) 14.2.0, 64-bit"
      "$ISO [1] LOG:  listening on IPv4 address \"0.0.0.0\", port 5432"
      "$ISO [1] LOG:  database system is ready to accept connections"
    ) ;;
    stop) LINES=(
      "$ISO [1] LOG:  received fast shutdown request"
      "$ISO [1] LOG:  database system is shut down"
    ) ;;
    tick) LINES=("$ISO [27] LOG:  checkpoint starting: time") ;;
    esac
    ;;
  matrix-traefik)
    printf -v ISO '%(%Y-%m-%dT%H:%M:%SZ)T' $((t / 1000000))
    case $kind in
    start) LINES=("$ISO INF Traefik version 3.5.3 built on 2025-09-26T12:23:32Z version=3.5.3"
      "$ISO INF Starting provider *docker.Provider") ;;
    stop) LINES=("$ISO INF I have to go...") ;;
    tick) LINES=("$ISO DBG Provider event received providerName=docker") ;;
    esac
    ;;
  *)
    case $kind in
    start) LINES=("$ISO  INFO ${unit#matrix-} started") ;;
    stop) LINES=("$ISO  INFO ${unit#matrix-} stopping") ;;
    tick) LINES=("$ISO  INFO ${unit#matrix-} alive") ;;
    esac
    ;;
  esac
}

journal_start_events() { # unit, µs, main pid, container id
  unit_info "$1"
  local unit=$1 t=$2 pid=$3 cid=$4 desc=$U_DESC l out=()
  out+=("$t	systemd	1	6	journal	Starting $unit.service - $desc...")
  out+=("$((t + 30000))	$unit	$((pid - 1))	6	stdout	$cid")
  out+=("$((t + 90000))	systemd	1	6	journal	Started $unit.service - $desc.")
  container_lines "$unit" start "$((t + 200000))"
  # A Tuwunel start that migrates or fails (tuwunel-boot.sh): the first two lines, then its own.
  [[ ${BOOT_ACTIVE-} ]] && LINES=("${LINES[@]:0:2}")
  for l in "${LINES[@]}"; do out+=("$((t + 200000))	$unit	$pid	6	stdout	$l"); done
  [[ ${BOOT_ACTIVE-} ]] && out+=("${START_NOW[@]}")
  journal_append "$unit" "${out[@]}"
}

journal_stop_events() { # unit, µs (the unit's meta is loaded)
  unit_info "$1"
  local unit=$1 t=$2 desc=$U_DESC l out=()
  journal_ticks "$unit" 200 "$t"
  out=("${TICKS[@]}")
  out+=("$t	systemd	1	6	journal	Stopping $unit.service - $desc...")
  container_lines "$unit" stop "$((t + 50000))"
  for l in "${LINES[@]}"; do out+=("$((t + 50000))	$unit	$U_PID	6	stdout	$l"); done
  out+=("$((t + 300000))	$unit	$((U_PID + 7))	6	stdout	$unit")
  out+=("$((t + 310000))	systemd	1	6	journal	$unit.service: Deactivated successfully.")
  out+=("$((t + 320000))	systemd	1	6	journal	Stopped $unit.service - $desc.")
  journal_append "$unit" "${out[@]}"
}

journal_fail_events() { # unit, µs
  local unit=$1 t=$2
  journal_ticks "$unit" 200 "$t"
  journal_append "$unit" "${TICKS[@]}" \
    "$t	systemd	1	5	journal	$unit.service: Main process exited, code=exited, status=1/FAILURE" \
    "$((t + 1000))	systemd	1	4	journal	$unit.service: Failed with result 'exit-code'."
}

journal_interval() { # -> STEP_US, from state/journal/interval (seconds, may have a fraction)
  local v=15 whole frac
  [[ -f $JOURNAL/interval ]] && read -r v <"$JOURNAL/interval"
  whole=${v%%.*}
  frac=
  [[ $v == *.* ]] && frac=${v#*.}
  frac=${frac}000000
  STEP_US=$((10#${whole:-0} * 1000000 + 10#${frac:0:6}))
  ((STEP_US > 0)) || STEP_US=15000000
}

# journal_ticks UNIT MAX [UNTIL µs] -> TICKS: the last MAX periodic lines of the unit's current
# run (empty unless active; meta loaded by the caller), in journal line format.
journal_ticks() {
  local unit=$1 max=$2 until=${3:-} first last k t
  TICKS=()
  [[ $U_STATE == active ]] || return 0
  if [[ ! $until ]]; then
    now_us
    until=$NOW_US
  fi
  journal_interval
  local step=$STEP_US
  last=$(((until - U_SINCE) / step))
  first=$((last - max + 1))
  ((first < 1)) && first=1
  for ((k = first; k <= last; k++)); do
    t=$((U_SINCE + k * step))
    container_lines "$unit" tick "$t" "$k"
    TICKS+=("$t	$unit	$U_PID	6	stdout	${LINES[0]}")
  done
}
