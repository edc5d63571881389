# Sourced first by every homeserver stand-in: where the host's state lives, the fault switches,
# and the unit table. Only bash builtins on the hot path: these commands run in every status poll.
: "${LAB_HOST_DIR:=${0%/bin/*}}"
STATE=$LAB_HOST_DIR/state
LIB=$LAB_HOST_DIR/lib
. "$LIB/faults.sh"
[[ ${LAB_INTERNAL-} ]] || lab_fault_check "${0##*/}" "$@"

# The units the playbook installs: id, description, image (tuwunel's tag comes from state),
# container command, published ports. Descriptions follow the playbook's systemd templates.
declare -A UNIT_DESC=(
  [matrix-tuwunel]='Tuwunel Matrix homeserver'
  [matrix-traefik]='Traefik (matrix-traefik)'
  [matrix-livekit-server]='LiveKit Server (matrix-livekit-server)'
  [matrix-livekit-jwt-service]='Matrix LiveKit JWT Service (matrix-livekit-jwt-service)'
  [matrix-static-files]='Matrix static files server (matrix-static-files)'
  [matrix-postgres]='Matrix Postgres server'
  [matrix-client-element]='Matrix Element Web server'
  [matrix-container-socket-proxy]='Container socket proxy (matrix-container-socket-proxy)'
  [matrix-exim-relay]='Exim relay (matrix-exim-relay)'
)
declare -A UNIT_IMAGE=(
  [matrix-traefik]='docker.io/traefik:v3.5.3'
  [matrix-livekit-server]='docker.io/livekit/livekit-server:v1.9.1'
  [matrix-livekit-jwt-service]='ghcr.io/element-hq/lk-jwt-service:0.3.0'
  [matrix-static-files]='docker.io/joseluisq/static-web-server:2.38.1-alpine'
  [matrix-postgres]='docker.io/postgres:18.0-alpine'
  [matrix-client-element]='ghcr.io/element-hq/element-web:v1.12.2'
  [matrix-container-socket-proxy]='ghcr.io/tecnativa/docker-socket-proxy:v0.4.1'
  [matrix-exim-relay]='ghcr.io/devture/exim-relay:4.98.2-r0-0'
)
declare -A UNIT_COMMAND=(
  [matrix-tuwunel]='/usr/bin/tuwunel'
  [matrix-traefik]='/entrypoint.sh traefik'
  [matrix-livekit-server]='/livekit-server --config /config/config.yaml'
  [matrix-livekit-jwt-service]='/lk-jwt-service'
  [matrix-static-files]='/static-web-server'
  [matrix-postgres]='docker-entrypoint.sh postgres'
  [matrix-client-element]='/docker-entrypoint.sh nginx -g '"'"'daemon off;'"'"''
  [matrix-container-socket-proxy]='docker-entrypoint.sh haproxy -f /usr/local/etc/haproxy/haproxy.cfg'
  [matrix-exim-relay]='/bin/sh -c '"'"'exim -bdf -q15m'"'"''
)
declare -A UNIT_PORTS=(
  [matrix-traefik]='0.0.0.0:81->8080/tcp, [::]:81->8080/tcp'
)

# All units of this host, sorted (the files in state/units).
lab_units() {
  UNITS=()
  local f
  for f in "$STATE"/units/*; do
    [[ -f $f && $f != *.tmp ]] && UNITS+=("${f##*/}")
  done
}

# unit_state UNIT -> $U_STATE (active|inactive|failed) and the meta fields U_*.
unit_load() {
  U_STATE=inactive
  [[ -f $STATE/units/$1 ]] && read -r U_STATE <"$STATE/units/$1"
  U_SINCE=0 U_PID=0 U_RESTARTS=0 U_CID=- U_CREATED=0 U_EXIT=0 U_RESULT=success U_INVOCATION=-
  [[ -f $STATE/unit-meta/$1 ]] &&
    read -r U_SINCE U_PID U_RESTARTS U_CID U_CREATED U_EXIT U_RESULT U_INVOCATION <"$STATE/unit-meta/$1"
}

tuwunel_version() {
  TUWUNEL_VERSION=0.0.0
  [[ -f $STATE/tuwunel/version ]] && read -r TUWUNEL_VERSION <"$STATE/tuwunel/version"
}

unit_image() {
  if [[ $1 == matrix-tuwunel ]]; then
    tuwunel_version
    IMAGE="ghcr.io/matrix-construct/tuwunel:v$TUWUNEL_VERSION"
  else
    IMAGE=${UNIT_IMAGE[$1]:-docker.io/library/busybox:latest}
  fi
}

now_us() {
  if [[ ${LAB_AT_US-} ]]; then
    NOW_US=$LAB_AT_US
    return
  fi
  local t=${EPOCHREALTIME/./}
  NOW_US=$((10#$t))
}

# hex64 -> $HEX: 64 random hex digits (container ids, invocation ids), without forking.
hex64() {
  HEX=
  local i
  for ((i = 0; i < 8; i++)); do
    printf -v HEX '%s%08x' "$HEX" $(((RANDOM << 17 | RANDOM << 2 | RANDOM & 3) & 0xffffffff))
  done
}
