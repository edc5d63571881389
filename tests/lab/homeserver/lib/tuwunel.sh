# Tuwunel's admin commands over the lab state (users, tokens). Texts as matrix-construct/tuwunel
# v1.7.0–v1.9.0 write them (src/admin/**, src/service/registration_tokens/**).
#   tuwunel_exec "<command line>"  ->  T_OUT (markdown reply body), T_STATUS ok|error|hang|shutdown
# Errors arrive already wrapped as the admin room shows them ("Command failed with error: …").

tuwunel_version
read -r T_SERVER <"$STATE/host/server_name"
TOKENS=$STATE/tuwunel/tokens
USERS=$STATE/tuwunel/users

version_at_least() { # X.Y.Z -> true when TUWUNEL_VERSION >= X.Y.Z
  local IFS=. a b i
  read -ra a <<<"${TUWUNEL_VERSION%%[!0-9.]*}"
  read -ra b <<<"$1"
  for i in 0 1 2; do
    ((${a[i]:-0} > ${b[i]:-0})) && return 0
    ((${a[i]:-0} < ${b[i]:-0})) && return 1
  done
  return 0
}

t_fail() { # message -> the reply of a failed command
  T_OUT=$'Command failed with error:\n```\n'"$1"$'\n```'
  T_STATUS=error
}

# parse_local_user_id ARG -> $UID_OUT or a failure
parse_local_user() {
  local u=${1,,}
  [[ $u == @* ]] || u="@$u:$T_SERVER"
  if [[ ! $u =~ ^@[a-z0-9._=/+-]+:[a-z0-9.-]+(:[0-9]+)?$ ]]; then
    t_fail "The supplied username is not a valid username: localpart contains invalid characters"
    return 1
  fi
  if [[ ${u#*:} != "$T_SERVER" ]]; then
    t_fail "User \"$u\" does not belong to our server."
    return 1
  fi
  USER_ID=$u
}

config_tokens() { # -> CONFIG_TOKENS from the rendered tuwunel.toml
  CONFIG_TOKENS=()
  local f=$STATE/tuwunel/config/tuwunel.toml line v
  [[ -f $f ]] || return 0
  while IFS= read -r line; do
    if [[ $line =~ ^registration_token[[:space:]]*=[[:space:]]*\"(.*)\"[[:space:]]*$ ]]; then
      v=${BASH_REMATCH[1]}
      CONFIG_TOKENS+=("$v")
    fi
  done <"$f"
}

now_ms() {
  local t=${EPOCHREALTIME/./}
  NOW_MS=$((10#$t / 1000))
}

# Tuwunel's utils::time::pretty: the largest whole unit, then the fraction ×100 without padding.
pretty_duration() { # milliseconds -> $PRETTY
  local ms=$1 s=$(($1 / 1000))
  if ((s >= 86400)); then PRETTY="$((s / 86400)).$((s % 86400 * 100 / 86400)) days"
  elif ((s >= 3600)); then PRETTY="$((s / 3600)).$((s % 3600 * 100 / 3600)) hours"
  elif ((s >= 60)); then PRETTY="$((s / 60)).$((s % 60 * 100 / 60)) minutes"
  elif ((s >= 1)); then PRETTY="$s.$((ms % 1000 / 10)) seconds"
  else PRETTY="$ms.0 milliseconds"; fi
}

token_info() { # uses_allowed completed expiry_ms -> $INFO ("Token used N times. Expires …")
  local allowed=$1 used=$2 expiry=$3 msgs=()
  [[ $allowed != - ]] && msgs+=("after $allowed uses")
  if [[ $expiry != - ]]; then
    local at
    TZ=UTC printf -v at '%(%F %T)T' $((expiry / 1000))
    now_ms
    if ((expiry > NOW_MS)); then
      # Tuwunel formats a moment after computing the expiry, so 7d shows as "6.99 days".
      pretty_duration $((expiry - NOW_MS - 1))
      msgs+=("in $PRETTY ($at)")
    else
      INFO="Token used $used times. Expired at $at"
      return
    fi
  fi
  if ((${#msgs[@]} == 2)); then INFO="Token used $used times. Expires ${msgs[0]} or ${msgs[1]}."
  elif ((${#msgs[@]} == 1)); then INFO="Token used $used times. Expires ${msgs[0]}."
  else INFO="Token used $used times. Never expires."; fi
}

parse_duration_ms() { # "7d", "30s", "5m", "12h", "2w", "1h30m" -> $DUR_MS
  local s=${1// /} total=0 n u
  [[ $s =~ ^([0-9]+[a-z]+)+$ ]] || return 1
  while [[ $s =~ ^([0-9]+)([a-z]+)(.*)$ ]]; do
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
    case $u in
    ms | msec | msecs | millis) total=$((total + n)) ;;
    s | sec | secs | second | seconds) total=$((total + n * 1000)) ;;
    m | min | mins | minute | minutes) total=$((total + n * 60000)) ;;
    h | hr | hrs | hour | hours) total=$((total + n * 3600000)) ;;
    d | day | days) total=$((total + n * 86400000)) ;;
    w | week | weeks) total=$((total + n * 604800000)) ;;
    *) return 1 ;;
    esac
  done
  DUR_MS=$total
}

random_token() { # 16 alphanumerics, like utils::random_string
  local chars=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 i
  TOKEN=
  for ((i = 0; i < 16; i++)); do TOKEN+=${chars:RANDOM % 62:1}; done
}

token_issue() {
  local max_uses=- max_age= once=
  while (($#)); do
    case $1 in
    --max-uses) max_uses=$2; shift ;;
    --max-uses=*) max_uses=${1#*=} ;;
    --max-age) max_age=$2; shift ;;
    --max-age=*) max_age=${1#*=} ;;
    --once) once=1 ;;
    *) clap_error "unexpected argument '$1' found" "admin token issue [OPTIONS]"; return ;;
    esac
    shift
  done
  [[ $max_uses == - && $once ]] && max_uses=1
  if [[ $max_uses != - && ! $max_uses =~ ^[0-9]+$ ]]; then
    clap_error "invalid value '$max_uses' for '--max-uses <MAX_USES>': invalid digit found in string" "admin token issue [OPTIONS]"
    return
  fi
  local expiry=-
  if [[ $max_age ]]; then
    if ! parse_duration_ms "$max_age"; then
      t_fail "'\"$max_age\"' is not a valid duration string: UnknownUnitError"
      return
    fi
    now_ms
    expiry=$((NOW_MS + DUR_MS))
  fi
  random_token
  printf '%s\t%s\t0\t0\t%s\n' "$TOKEN" "$max_uses" "$expiry" >>"$TOKENS"
  token_info "$max_uses" 0 "$expiry"
  T_OUT="New registration token issued: \`$TOKEN\` - $INFO"
  T_STATUS=ok
}

# Valid database tokens in key order; used-up and expired ones are dropped as Tuwunel does.
load_tokens() {
  DB_TOKENS=()
  local line tok allowed pending done expiry kept=()
  [[ -f $TOKENS ]] || return 0
  now_ms
  while IFS=$'\t' read -r tok allowed pending done expiry; do
    [[ $tok ]] || continue
    if [[ $allowed != - ]] && ((done >= allowed)); then continue; fi
    if [[ $expiry != - ]] && ((NOW_MS > expiry)); then continue; fi
    kept+=("$tok	$allowed	$pending	$done	$expiry")
  done <"$TOKENS"
  if ((${#kept[@]})); then
    mapfile -t DB_TOKENS < <(printf '%s\n' "${kept[@]}" | LC_ALL=C sort)
  fi
}

token_list() {
  config_tokens
  load_tokens
  local n=$((${#CONFIG_TOKENS[@]} + ${#DB_TOKENS[@]})) t entry tok allowed pending done expiry config_text
  config_text='Token defined in config.'
  version_at_least 1.9.0 && config_text='Token defined in config file'
  T_OUT="Found $n registration tokens:"$'\n'
  for t in "${CONFIG_TOKENS[@]}"; do T_OUT+="- \`$t\` --- $config_text"$'\n'; done
  for entry in "${DB_TOKENS[@]}"; do
    IFS=$'\t' read -r tok allowed pending done expiry <<<"$entry"
    token_info "$allowed" "$done" "$expiry"
    T_OUT+="- \`$tok\` --- $INFO"$'\n'
  done
  T_STATUS=ok
}

token_revoke() {
  local target=$1 t found= line rest=()
  if [[ ! $target ]]; then
    clap_error "the following required arguments were not provided:"$'\n'"  <TOKEN>" "admin token revoke <TOKEN>"
    return
  fi
  config_tokens
  for t in "${CONFIG_TOKENS[@]}"; do
    if [[ $t == "$target" ]]; then
      if version_at_least 1.9.0; then
        t_fail "M_FORBIDDEN: The token set in the config file cannot be revoked. Edit the config file to change it."
      else
        t_fail "The token set in the config file cannot be revoked. Edit the config file to change it."
      fi
      return
    fi
  done
  if [[ -f $TOKENS ]]; then
    while IFS= read -r line; do
      if [[ ${line%%	*} == "$target" ]]; then found=1; else rest+=("$line"); fi
    done <"$TOKENS"
  fi
  if [[ ! $found ]]; then
    t_fail "M_NOT_FOUND: Registration token not found"
    return
  fi
  if ((${#rest[@]})); then printf '%s\n' "${rest[@]}" >"$TOKENS.tmp"; else : >"$TOKENS.tmp"; fi
  command mv -f "$TOKENS.tmp" "$TOKENS"
  T_OUT='Token revoked successfully.'
  T_STATUS=ok
}

user_row() { # user id -> U_ROW_ADMIN, U_ROW_DEACT, U_ROW_FOUND
  U_ROW_FOUND= U_ROW_ADMIN=0 U_ROW_DEACT=0
  local id admin deact
  [[ -f $USERS ]] || return 0
  while IFS=$'\t' read -r id admin deact; do
    [[ $id == "$1" ]] && U_ROW_FOUND=1 U_ROW_ADMIN=$admin U_ROW_DEACT=$deact && return 0
  done <"$USERS"
}

user_update() { # user id, admin, deactivated (rewrites the row, keeps the order)
  local id admin deact rows=() seen=
  if [[ -f $USERS ]]; then
    while IFS=$'\t' read -r id admin deact; do
      [[ $id ]] || continue
      if [[ $id == "$1" ]]; then rows+=("$1	$2	$3"); seen=1; else rows+=("$id	$admin	$deact"); fi
    done <"$USERS"
  fi
  [[ $seen ]] || rows+=("$1	$2	$3")
  printf '%s\n' "${rows[@]}" >"$USERS.tmp"
  command mv -f "$USERS.tmp" "$USERS"
}

users_make_admin() {
  [[ $1 ]] || { clap_error "the following required arguments were not provided:"$'\n'"  <USER_ID>" "admin users make-user-admin <USER_ID>"; return; }
  parse_local_user "$1" || return
  user_row "$USER_ID"
  if [[ $U_ROW_ADMIN == 1 ]] && ! version_at_least 1.8.0; then
    t_fail "User is already joined in the admin room"
    return
  fi
  [[ $U_ROW_FOUND ]] && user_update "$USER_ID" 1 "$U_ROW_DEACT"
  T_OUT="$USER_ID has been granted admin privileges."
  T_STATUS=ok
}

users_deactivate() {
  local user=
  while (($#)); do
    case $1 in
    -n | --no-leave-rooms) ;;
    -*) clap_error "unexpected argument '$1' found" "admin users deactivate [OPTIONS] <USER_ID>"; return ;;
    *) user=$1 ;;
    esac
    shift
  done
  [[ $user ]] || { clap_error "the following required arguments were not provided:"$'\n'"  <USER_ID>" "admin users deactivate [OPTIONS] <USER_ID>"; return; }
  parse_local_user "$user" || return
  if [[ $USER_ID == "@conduit:$T_SERVER" ]]; then
    t_fail "Not allowed to deactivate the server service account."
    return
  fi
  user_row "$USER_ID"
  [[ $U_ROW_FOUND ]] && user_update "$USER_ID" "$U_ROW_ADMIN" 1
  T_OUT="User $USER_ID has been deactivated"
  T_STATUS=ok
}

users_list() {
  local id admin deact list=()
  if [[ -f $USERS ]]; then
    while IFS=$'\t' read -r id admin deact; do
      [[ $id && $deact == 0 && $id != "@conduit:$T_SERVER" ]] && list+=("$id")
    done <"$USERS"
  fi
  T_OUT="Found ${#list[@]} local user account(s):"$'\n```\n'
  local u
  for u in "${list[@]}"; do T_OUT+="$u"$'\n'; done
  T_OUT+='```'
  T_STATUS=ok
}

clap_error() { # message, usage -> clap's parse error (sent as a plain notice, not "Command failed")
  T_OUT="error: $1"$'\n\n'"Usage: $2"$'\n\n'"For more information, try '--help'."
  T_STATUS=error
}

tuwunel_exec() {
  local -a argv
  read -ra argv <<<"$1"
  # Like Tuwunel's parse_line: an optional leading "!admin"/"admin", `help X` -> `X --help`.
  [[ ${argv[0]-} == '!admin' || ${argv[0]-} == admin || ${argv[0]-} == '\!admin' ]] && argv=("${argv[@]:1}")
  T_STATUS=error T_OUT=
  case "${argv[0]-} ${argv[1]-}" in
  'users make-user-admin') users_make_admin "${argv[@]:2}" ;;
  'users deactivate') users_deactivate "${argv[@]:2}" ;;
  'users list' | 'users list-users') users_list ;;
  'token issue') token_issue "${argv[@]:2}" ;;
  'token list') token_list ;;
  'token revoke') token_revoke "${argv[@]:2}" ;;
  'rooms list')
    T_STATUS=hang
    ;;
  'server uptime')
    unit_load matrix-tuwunel
    now_us
    pretty_duration $(((NOW_US - U_SINCE) / 1000))
    T_OUT="$PRETTY."
    T_STATUS=ok
    ;;
  'server shutdown')
    T_OUT='Shutting down server...'
    T_STATUS=shutdown
    ;;
  'federation incoming-federation')
    t_fail 'This command is temporarily disabled'
    ;;
  *)
    local sub=${argv[0]-}
    if [[ ! $sub ]]; then
      clap_error "'admin' requires a subcommand but one was not provided" "admin <COMMAND>"
    elif [[ $sub =~ ^(appservices|users|rooms|federation|server|media|debug|query|token|check)$ ]]; then
      clap_error "unrecognized subcommand '${argv[1]-}'" "admin $sub <COMMAND>"
    else
      clap_error "unrecognized subcommand '$sub'" "admin <COMMAND>"
    fi
    ;;
  esac
}
