# What the playbook installs per unit, for the commands that print more than unit states.

# unit_info UNIT -> U_DESC U_IMAGE U_COMMAND U_PORTS (descriptions follow the playbook's systemd
# templates; tuwunel's image tag comes from state, see unit_image).
unit_info() {
  U_PORTS=
  case $1 in
  matrix-tuwunel) U_DESC='Tuwunel Matrix homeserver' U_IMAGE= U_COMMAND='/usr/bin/tuwunel' ;;
  matrix-traefik)
    U_DESC='Traefik (matrix-traefik)' U_IMAGE='docker.io/traefik:v3.5.3' U_COMMAND='/entrypoint.sh traefik'
    U_PORTS='0.0.0.0:81->8080/tcp, [::]:81->8080/tcp'
    ;;
  matrix-livekit-server)
    U_DESC='LiveKit Server (matrix-livekit-server)' U_IMAGE='docker.io/livekit/livekit-server:v1.9.1'
    U_COMMAND='/livekit-server --config /config/config.yaml'
    ;;
  matrix-livekit-jwt-service)
    U_DESC='Matrix LiveKit JWT Service (matrix-livekit-jwt-service)'
    U_IMAGE='ghcr.io/element-hq/lk-jwt-service:0.3.0' U_COMMAND='/lk-jwt-service'
    ;;
  matrix-static-files)
    U_DESC='Matrix static files server (matrix-static-files)'
    U_IMAGE='docker.io/joseluisq/static-web-server:2.38.1-alpine' U_COMMAND='/static-web-server'
    ;;
  matrix-postgres)
    U_DESC='Matrix Postgres server' U_IMAGE='docker.io/postgres:18.0-alpine'
    U_COMMAND='docker-entrypoint.sh postgres'
    ;;
  matrix-client-element)
    U_DESC='Matrix Element Web server' U_IMAGE='ghcr.io/element-hq/element-web:v1.12.2'
    U_COMMAND="/docker-entrypoint.sh nginx -g 'daemon off;'"
    ;;
  matrix-container-socket-proxy)
    U_DESC='Container socket proxy (matrix-container-socket-proxy)'
    U_IMAGE='ghcr.io/tecnativa/docker-socket-proxy:v0.4.1'
    U_COMMAND='docker-entrypoint.sh haproxy -f /usr/local/etc/haproxy/haproxy.cfg'
    ;;
  matrix-exim-relay)
    U_DESC='Exim relay (matrix-exim-relay)' U_IMAGE='ghcr.io/devture/exim-relay:4.98.2-r0-0'
    U_COMMAND="/bin/sh -c 'exim -bdf -q15m'"
    ;;
  *) U_DESC=$1 U_IMAGE='docker.io/library/busybox:latest' U_COMMAND='/bin/sh' ;;
  esac
}

unit_image() { # unit -> $IMAGE (unit_info ran)
  if [[ $1 == matrix-tuwunel ]]; then
    tuwunel_version
    IMAGE="ghcr.io/matrix-construct/tuwunel:v$TUWUNEL_VERSION"
  else
    IMAGE=$U_IMAGE
  fi
}
