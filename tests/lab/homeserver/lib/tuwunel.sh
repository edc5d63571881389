# Tuwunel's admin commands over the lab state, answered as the release in state/tuwunel/version does.
#   tuwunel_exec "<command line>"  ->  T_OUT (the reply body), T_KIND (markdown|plain: what the admin room
#                                      sends), T_STATUS (ok|error|hang|shutdown)
# Grammar and clap's texts: lib/admin-parse.sh. Reply texts: matrix-construct/tuwunel src/admin/** at each
# tag (1.7.0 keeps them in <group>/commands.rs, 1.7.1 on in one file per command), the services they call
# (src/service/registration_tokens, src/service/admin/grant.rs, src/database/engine/backup.rs) and
# src/admin/processor.rs (1.9.0: src/service/admin/processor.rs) for "Command failed with error:".
#
# State (state/tuwunel/): users (id, admin, deactivated, sha256 of the password, display name), devices
# (user, device, display name, last seen ms, last seen IP), tokens, rooms (id, alias, name, topic,
# members; the admin room's members are the admins), backups (id, epoch s, bytes, files), config/tuwunel.toml.

tuwunel_version
read -r T_SERVER <"$STATE/host/server_name"
TOKENS=$STATE/tuwunel/tokens
USERS=$STATE/tuwunel/users
DEVICES=$STATE/tuwunel/devices
ROOMS=$STATE/tuwunel/rooms
BACKUPS=$STATE/tuwunel/backups
TOML=$STATE/tuwunel/config/tuwunel.toml
SERVER_USER="@conduit:$T_SERVER"

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

. "$LIB/admin-parse.sh"

t_ok() { # markdown reply
  T_OUT=$1 T_KIND=markdown T_STATUS=ok
}

t_fail() { # error -> the reply of a failed command: `{error:#?}`, i.e. Error::message()
  T_OUT=$'Command failed with error:\n```\n'"$1"$'\n```'
  T_KIND=markdown T_STATUS=error
}

# A list in a code block: 1.7.0 joins the lines ("…\n{body}\n```"), 1.7.1 on writes each with writeln!, so
# the two differ only for an empty list.
code_lines() { # header, lines... -> T_OUT
  local header=$1
  shift
  if version_at_least 1.7.1; then
    T_OUT="$header"$'\n```\n'
    (($#)) && T_OUT+=$(printf '%s\n' "$@")$'\n'
    T_OUT+='```'
  else
    local IFS=$'\n'
    T_OUT="$header"$'\n```\n'"$*"$'\n```'
  fi
  T_KIND=markdown T_STATUS=ok
}

# utils::parse_user_id / parse_local_user_id: lowercased, the server name added to a bare localpart.
parse_user_id() { # arg -> USER_ID, or a failure
  local u=${1,,} e=
  [[ $u == @* ]] || u="@$u:$T_SERVER"
  local local=${u#@}
  if [[ $u != *:* ]]; then e='required colon is missing'
  elif ! server_name_ok "${u#*:}"; then e='server name is not a valid IP address or domain name'
  elif [[ ! ${local%%:*} ]]; then e='identifier or required part of it is empty'
  elif [[ ${local%%:*} == *[![:graph:]]* || ${local%%:*} == *[^[:ascii:]]* ]]; then e='identifier contains invalid characters'
  fi
  if [[ $e ]]; then
    t_fail "The supplied username is not a valid username: $e"
    return 1
  fi
  USER_ID=$u
}

parse_local_user() {
  parse_user_id "$1" || return 1
  if [[ ${USER_ID#*:} != "$T_SERVER" ]]; then
    t_fail "User \"$USER_ID\" does not belong to our server."
    return 1
  fi
}

# ---------------------------------------------------------------- state helpers

user_row() { # user id -> U_ROW_FOUND U_ROW_ADMIN U_ROW_DEACT U_ROW_HASH U_ROW_NAME U_ROW_ERASED
  U_ROW_FOUND= U_ROW_ADMIN=0 U_ROW_DEACT=0 U_ROW_HASH=- U_ROW_NAME= U_ROW_ERASED=-
  local id admin deact hash name erased
  [[ -f $USERS ]] || return 0
  while IFS=$'\t' read -r id admin deact hash name erased; do
    [[ $id == "$1" ]] && U_ROW_FOUND=1 U_ROW_ADMIN=$admin U_ROW_DEACT=$deact U_ROW_HASH=${hash:--} U_ROW_NAME=$name U_ROW_ERASED=${erased:--} && return 0
  done <"$USERS"
}

# user_update ID ADMIN DEACTIVATED [HASH] [DISPLAY NAME] [ERASED]: rewrites the row (or adds it), keeping the
# order and what is not given.
user_update() {
  local id admin deact hash name erased rows=() seen=
  if [[ -f $USERS ]]; then
    while IFS=$'\t' read -r id admin deact hash name erased; do
      [[ $id ]] || continue
      if [[ $id == "$1" ]]; then
        rows+=("$1	$2	$3	${4:-${hash:--}}	${5-$name}	${6:-${erased:--}}")
        seen=1
      else
        rows+=("$id	$admin	$deact	${hash:--}	$name	${erased:--}")
      fi
    done <"$USERS"
  fi
  [[ $seen ]] || rows+=("$1	$2	$3	${4:--}	${5-}	${6:--}")
  printf '%s\n' "${rows[@]}" >"$USERS.tmp"
  command mv -f "$USERS.tmp" "$USERS"
}

password_hash() { # password -> HASH (the lab keeps a SHA-256 where Tuwunel keeps an argon2 hash)
  HASH=$(printf '%s' "$1" | sha256sum)
  HASH=${HASH%% *}
}

random_string() { # length -> RANDOM_STRING, alphanumerics like utils::random_string
  local chars=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 i
  RANDOM_STRING=
  for ((i = 0; i < $1; i++)); do RANDOM_STRING+=${chars:RANDOM % 62:1}; done
}

# Local users with a password, in key order (users.list_local_users: deactivated ones have none).
local_users() { # -> LOCAL_USERS
  LOCAL_USERS=()
  local id admin deact rest
  [[ -f $USERS ]] || return 0
  while IFS=$'\t' read -r id admin deact rest; do
    [[ $id && $deact == 0 && $id != "$SERVER_USER" ]] && LOCAL_USERS+=("$id")
  done <"$USERS"
  ((${#LOCAL_USERS[@]})) && mapfile -t LOCAL_USERS < <(printf '%s\n' "${LOCAL_USERS[@]}" | LC_ALL=C sort)
}

remove_devices() { # user id
  [[ -f $DEVICES ]] || return 0
  local line rows=()
  while IFS= read -r line; do
    [[ $line && ${line%%	*} != "$1" ]] && rows+=("$line")
  done <"$DEVICES"
  if ((${#rows[@]})); then printf '%s\n' "${rows[@]}" >"$DEVICES.tmp"; else : >"$DEVICES.tmp"; fi
  command mv -f "$DEVICES.tmp" "$DEVICES"
}

# Rooms: R_ID R_ALIAS R_NAME R_TOPIC R_MEMBERS (array) per room; the admin room's members are the server
# user and the admins (granting admin joins the room, leaving it is losing admin).
room_load() { # room id or alias -> R_* or 1
  R_ID=
  [[ -f $ROOMS ]] || return 1
  local id alias name topic members
  while IFS=$'\t' read -r id alias name topic members; do
    if [[ $id == "$1" || ($alias && $alias == "$1") ]]; then
      R_ID=$id R_ALIAS=$alias R_NAME=$name R_TOPIC=$topic
      if [[ $alias == "#admins:$T_SERVER" ]]; then
        R_MEMBERS=("$SERVER_USER")
        local u a d rest
        while IFS=$'\t' read -r u a d rest; do
          [[ $u && $a == 1 ]] && R_MEMBERS+=("$u")
        done <"$USERS"
      else
        IFS=, read -ra R_MEMBERS <<<"$members"
      fi
      return 0
    fi
  done <"$ROOMS"
  return 1
}

room_ids() { # -> ROOM_IDS in key order
  ROOM_IDS=()
  [[ -f $ROOMS ]] || return 0
  local id rest
  while IFS=$'\t' read -r id rest; do [[ $id ]] && ROOM_IDS+=("$id"); done <"$ROOMS"
  ((${#ROOM_IDS[@]})) && mapfile -t ROOM_IDS < <(printf '%s\n' "${ROOM_IDS[@]}" | LC_ALL=C sort)
}

display_name() { # user id -> DISPLAY (the profile's, else the ID)
  user_row "$1"
  DISPLAY=${U_ROW_NAME:-$1}
}

# ---------------------------------------------------------------- users

tw_users_list_users() {
  local_users
  code_lines "Found ${#LOCAL_USERS[@]} local user account(s):" "${LOCAL_USERS[@]}"
}

tw_users_create_user() {
  parse_local_user "${P[username]}" || return
  local localpart=${USER_ID%%:*}
  localpart=${localpart#@}
  if [[ $localpart == *[!0-9a-z._=/-]* ]]; then
    t_fail "Username $USER_ID contains disallowed characters or spaces: identifier contains invalid characters"
    return
  fi
  user_row "$USER_ID"
  if [[ $U_ROW_FOUND ]]; then
    t_fail "User $USER_ID already exists"
    return
  fi
  local password=${P[password]-}
  if [[ ! ${P[password]+set} ]]; then
    random_string 25
    password=$RANDOM_STRING
  fi
  password_hash "$password"
  user_update "$USER_ID" 0 0 "$HASH"
  t_ok "Created user with user_id: $USER_ID and password: \`$password\`"
}

tw_users_reset_password() {
  parse_local_user "${P[username]}" || return
  if [[ $USER_ID == "$SERVER_USER" ]]; then
    t_fail 'Not allowed to set the password for the server account. Please use the emergency password config option.'
    return
  fi
  local password=${P[password]-}
  if [[ ! ${P[password]+set} ]]; then
    random_string 25
    password=$RANDOM_STRING
  fi
  password_hash "$password"
  # users.set_password writes userid_password whatever was there: a deactivated account has a
  # password again (is_deactivated reads an empty one), an unknown one now exists.
  user_row "$USER_ID"
  user_update "$USER_ID" "$U_ROW_ADMIN" 0 "$HASH"
  t_ok "Successfully reset the password for user $USER_ID: \`$password\`"
}

tw_users_deactivate() {
  parse_local_user "${P[user_id]}" || return
  if [[ $USER_ID == "$SERVER_USER" ]]; then
    t_fail 'Not allowed to deactivate the server service account.'
    return
  fi
  user_row "$USER_ID"
  local admin=$U_ROW_ADMIN
  # Leaving every joined room includes the admin room: the account is no longer an admin.
  [[ ${P[no_leave_rooms]-} ]] || admin=0
  [[ $U_ROW_FOUND ]] && user_update "$USER_ID" "$admin" 1 '-'
  remove_devices "$USER_ID"
  t_ok "User $USER_ID has been deactivated"
}

tw_users_make_user_admin() {
  parse_local_user "${P[user_id]}" || return
  user_row "$USER_ID"
  # service/admin/grant.rs: before 1.8.0 a member of the admin room is refused; from 1.8.0 the grant
  # is repeated where needed and succeeds.
  if [[ $U_ROW_ADMIN == 1 ]] && ! version_at_least 1.8.0; then
    t_fail 'User is already joined in the admin room'
    return
  fi
  user_update "$USER_ID" 1 "$U_ROW_DEACT"
  t_ok "$USER_ID has been granted admin privileges."
}

tw_users_delete_device() {
  local user=${P[user_id]} device=${P[device_id]}
  if [[ ${user#*:} != "$T_SERVER" ]]; then
    t_fail 'Cannot delete device of remote user'
    return
  fi
  if [[ -f $DEVICES ]]; then
    local line rows=()
    while IFS= read -r line; do
      [[ $line ]] || continue
      [[ $line == "$user	$device	"* ]] || rows+=("$line")
    done <"$DEVICES"
    if ((${#rows[@]})); then printf '%s\n' "${rows[@]}" >"$DEVICES.tmp"; else : >"$DEVICES.tmp"; fi
    command mv -f "$DEVICES.tmp" "$DEVICES"
  fi
  t_ok "User $user's device $device removed."
}

# users last-active: per local user the device seen last, newest first, `{ts:?} {ip:<40} {localpart}`. One pass
# over the devices (a server with a thousand users answers at once).
tw_users_last_active() {
  local_users
  local limit=${P[limit]:-48} user dev_user dev name ts ip rows=()
  local -A best_ts=() best_ip=()
  if [[ -f $DEVICES ]]; then
    while IFS=$'\t' read -r dev_user dev name ts ip; do
      [[ $dev_user && $ts && $ts != - ]] || continue
      # cmp::max over (ts, ip): the later time, then the greater IP.
      if ((ts > ${best_ts[$dev_user]:-0})) || { ((ts == ${best_ts[$dev_user]:-0})) && [[ $ip > ${best_ip[$dev_user]-} ]]; }; then
        best_ts[$dev_user]=$ts best_ip[$dev_user]=$ip
      fi
    done <"$DEVICES"
  fi
  for user in "${LOCAL_USERS[@]}"; do
    ((${best_ts[$user]:-0} > 0)) && rows+=("${best_ts[$user]}	${best_ip[$user]}	$user")
  done
  T_OUT=
  if ((${#rows[@]})); then
    local line n=0
    while IFS=$'\t' read -r ts ip user; do
      ((n >= limit)) && break
      local localpart=${user%%:*}
      printf -v line '%s %-40s %s\n' "MilliSecondsSinceUnixEpoch($ts)" "$ip" "${localpart#@}"
      T_OUT+=$line
      n=$((n + 1))
    done < <(printf '%s\n' "${rows[@]}" | sort -t$'\t' -k1,1nr -s)
  fi
  T_KIND=markdown T_STATUS=ok
}

# users erasure / unerase (1.8.1, src/admin/user/erasure.rs, unerase.rs): the MSC4025 marker the admin API's
# deactivate with `erase: true` sets; the count it shows is the database count at the time.
tw_users_erasure() {
  parse_local_user "${P[user_id]}" || return
  user_row "$USER_ID"
  if [[ $U_ROW_ERASED != - ]]; then t_ok "$USER_ID is erased (since count $U_ROW_ERASED)"; else t_ok "$USER_ID is not erased"; fi
}

tw_users_unerase() {
  parse_local_user "${P[user_id]}" || return
  user_row "$USER_ID"
  [[ $U_ROW_FOUND ]] && user_update "$USER_ID" "$U_ROW_ADMIN" "$U_ROW_DEACT" "$U_ROW_HASH" "$U_ROW_NAME" -
  t_ok "Cleared the erasure marker of $USER_ID"
}

tw_users_list_joined_rooms() {
  parse_local_user "${P[user_id]}" || return
  room_ids
  local id m rows=()
  for id in "${ROOM_IDS[@]}"; do
    room_load "$id" || continue
    for m in "${R_MEMBERS[@]}"; do
      [[ $m == "$USER_ID" ]] && rows+=("${#R_MEMBERS[@]}	$R_ID	${R_NAME:-$R_ID}")
    done
  done
  if ((${#rows[@]} == 0)); then
    t_fail 'User is not in any rooms.'
    return
  fi
  room_info_lines "${rows[@]}"
  code_lines "Rooms $USER_ID Joined (${#ROOM_LINES[@]}):" "${ROOM_LINES[@]}"
}

# Sorted by member count, then reversed (sort_by_key is stable): "{id}\tMembers: {n}\tName: {name}".
room_info_lines() { # "count<TAB>id<TAB>name"... -> ROOM_LINES
  ROOM_LINES=()
  local i sorted=() count id name
  mapfile -t sorted < <(printf '%s\n' "$@" | sort -t$'\t' -k1,1n -s)
  for ((i = ${#sorted[@]} - 1; i >= 0; i--)); do
    IFS=$'\t' read -r count id name <<<"${sorted[i]}"
    if [[ ${NO_DETAILS-} ]]; then ROOM_LINES+=("$id"); else ROOM_LINES+=("$id	Members: $count	Name: $name"); fi
  done
}

# ---------------------------------------------------------------- rooms

tw_rooms_list() {
  local page=${P[page]:-1} id rows=()
  room_ids
  for id in "${ROOM_IDS[@]}"; do
    room_load "$id" && rows+=("${#R_MEMBERS[@]}	$R_ID	${R_NAME:-$R_ID}")
  done
  NO_DETAILS=${P[no_details]-}
  ((${#rows[@]})) && room_info_lines "${rows[@]}" || ROOM_LINES=()
  NO_DETAILS=
  local start=$(((page > 0 ? page - 1 : 0) * 100))
  ROOM_LINES=("${ROOM_LINES[@]:start:100}")
  if ((${#ROOM_LINES[@]} == 0)); then
    t_fail 'No more rooms.'
    return
  fi
  code_lines "Rooms (${#ROOM_LINES[@]}):" "${ROOM_LINES[@]}"
}

tw_rooms_exists() {
  if room_load "${P[room_id]}"; then t_ok true; else t_ok false; fi
}

resolve_room() { # room id or alias -> R_* or a failure (alias.maybe_resolve, then metadata.exists)
  if [[ $1 == \#* ]]; then
    room_load "$1" || { t_fail 'M_NOT_FOUND: Room with alias not found.'; return 1; }
  elif ! room_load "$1"; then
    t_fail "Room $1 is not known to this server."
    return 1
  fi
}

# rooms info <room> (1.8.3): the room's name, topic, aliases and admins (power level >= state_default).
tw_rooms_info() {
  resolve_room "${P[room]}" || return
  local admins=() m
  for m in "${R_MEMBERS[@]}"; do
    if [[ $m == "$SERVER_USER" ]]; then admins+=("69420	$m")
    elif [[ $R_ALIAS == "#admins:$T_SERVER" || $m == "${R_MEMBERS[0]}" ]]; then admins+=("100	$m"); fi
  done
  T_OUT=$'```\nRoom information for '"$R_ID"$'\n\nRoom version: 11\n\n'
  T_OUT+="Name: ${R_NAME:-(none)}"$'\n'"Topic: "$'\n'"${R_TOPIC:-(none)}"$'\n\n'
  T_OUT+=$'Aliases:\n'"  Canonical: ${R_ALIAS:-none}"$'\n  Alternative:\n    none\n  Local unlisted:\n    none\n'
  T_OUT+=$'\nAdmins (power level >= 50):\n'
  local pl user
  while IFS=$'\t' read -r pl user; do
    [[ $user ]] && T_OUT+="  - $user ($pl)"$'\n'
  done < <(printf '%s\n' "${admins[@]}" | sort -t$'\t' -k1,1nr -k2,2)
  T_OUT+=$'```\n'
  T_KIND=markdown T_STATUS=ok
}

# `{n} Members in Room "{name}":` then `{mxid} | {displayname}` lines.
joined_members() {
  local room=$1 local_only=$2 lines=() m
  if room_load "$room"; then
    for m in "${R_MEMBERS[@]}"; do
      [[ $local_only && ${m#*:} != "$T_SERVER" ]] && continue
      display_name "$m"
      lines+=("$m | $DISPLAY")
    done
  else
    R_NAME=$room
  fi
  code_lines "${#lines[@]} Members in Room \"${R_NAME:-$room}\":" "${lines[@]}"
}

tw_rooms_list_joined_members() { joined_members "${P[room_id]}" "${P[local_only]-}"; }
tw_rooms_info_list_joined_members() { joined_members "${P[room_id]}" "${P[local_only]-}"; }

tw_rooms_info_view_room_topic() {
  if room_load "${P[room_id]}" && [[ $R_TOPIC ]]; then
    t_ok $'Room topic:\n```\n'"$R_TOPIC"$'\n```'
  else
    t_fail 'Room does not have a room topic set.'
  fi
}

# ---------------------------------------------------------------- federation

tw_federation_incoming_federation() {
  t_fail 'This command is temporarily disabled'
}

# ---------------------------------------------------------------- server

tw_server_uptime() {
  unit_load matrix-tuwunel
  now_us
  # The lab dates a restart's start a little ahead (its journal lines); Tuwunel has been up at least 1 ms.
  local ms=$(((NOW_US - ${TUWUNEL_STARTED_US:-$U_SINCE}) / 1000))
  ((ms < 1)) && ms=1
  pretty_duration "$ms"
  t_ok "$PRETTY."
}

tw_server_shutdown() {
  T_OUT='Shutting down server...' T_KIND=markdown T_STATUS=shutdown
}

toml_value() { # key -> TOML_VALUE (a string or a bare value of tuwunel.toml's [global]), or 1
  TOML_VALUE=
  [[ -f $TOML ]] || return 1
  local line
  while IFS= read -r line; do
    if [[ $line =~ ^$1[[:space:]]*=[[:space:]]*(.*)$ ]]; then
      TOML_VALUE=${BASH_REMATCH[1]}
      TOML_VALUE=${TOML_VALUE%%[[:space:]]}
      [[ $TOML_VALUE == \"*\" ]] && TOML_VALUE=${TOML_VALUE:1:-1}
      return 0
    fi
  done <"$TOML"
  return 1
}

# The backup engine needs database_backup_path; src/database/engine/backup.rs. RocksDB's BackupEngine::Open
# makes the folder: in the playbook's container (--read-only, the data path mounted at /var/lib/tuwunel) only
# a path under /var/lib/tuwunel can be made, anything else fails as mkdir does on a read-only file system
# (PosixFileSystem::CreateDirIfMissing, mapped by util.rs map_err to an io::Error: "I/O error: …").
backup_engine() {
  if ! toml_value database_backup_path || [[ ! $TOML_VALUE ]]; then
    BACKUP_ERROR="There was a problem with the 'database_backup_path' directive in your configuration: Configure path to enable backups"
    return 1
  fi
  if [[ $TOML_VALUE != /var/lib/tuwunel/?* ]]; then
    BACKUP_ERROR="I/O error: IO error: While mkdir if missing: $TOML_VALUE: Read-only file system"
    return 1
  fi
  [[ -f $BACKUPS ]] || : >"$BACKUPS"
}

backups_to_keep() {
  KEEP=1
  toml_value database_backups_to_keep && KEEP=$TOML_VALUE
}

backup_rows() { # -> BACKUP_ROWS (id, epoch s, bytes, files), oldest first
  BACKUP_ROWS=()
  [[ -s $BACKUPS ]] && mapfile -t BACKUP_ROWS <"$BACKUPS"
}

purge_backups() { # keep
  backup_rows
  local n=${#BACKUP_ROWS[@]} row
  if ((n > $1)); then
    for row in "${BACKUP_ROWS[@]:0:n-$1}"; do rm -rf "$STATE/tuwunel/backup-data/${row%%	*}"; done
    if (($1 == 0)); then : >"$BACKUPS.tmp"; else printf '%s\n' "${BACKUP_ROWS[@]:n-$1}" >"$BACKUPS.tmp"; fi
    command mv -f "$BACKUPS.tmp" "$BACKUPS"
  fi
}

# What a backup holds of the lab's database: the state files the admin commands and the API change, and
# the markers of the migrations it went through (tuwunel-boot.sh).
BACKED_UP=(users devices tokens rooms migrations)

create_backup() {
  backup_rows
  local last=0 f
  ((${#BACKUP_ROWS[@]})) && last=${BACKUP_ROWS[-1]%%	*}
  local id=$((last + 1)) size=$((180000000 + RANDOM * 100)) files=$((40 + RANDOM % 20))
  mkdir -p "$STATE/tuwunel/backup-data/$id"
  for f in "${BACKED_UP[@]}"; do
    [[ -f $STATE/tuwunel/$f ]] && command cp -f "$STATE/tuwunel/$f" "$STATE/tuwunel/backup-data/$id/$f"
  done
  printf '%s\t%s\t%s\t%s\n' "$id" "$EPOCHSECONDS" "$size" "$files" >>"$BACKUPS"
}

# `tuwunel --restore-backup <id>` (1.8.2): replaces the database with a backup before opening it
# (engine/backup.rs restore). Logs as the binary does; a missing backup ends start-up.
tuwunel_restore_backup() { # id (0 = newest)
  iso_ts "$NOW_US"
  if ! backup_engine; then
    printf '%s ERROR tuwunel: Critical error starting server: %s\n' "$ISO" "$BACKUP_ERROR"
    printf 'Error: %s\n' "$BACKUP_ERROR" >&2
    return 1
  fi
  if ! find_backup "$1"; then
    local why=${T_OUT#*$'```\n'}
    why=${why%$'\n```'}
    printf '%s ERROR tuwunel: Critical error starting server: %s\n' "$ISO" "$why"
    printf 'Error: %s\n' "$why" >&2
    return 1
  fi
  local row f
  for row in "${BACKUP_ROWS[@]}"; do [[ ${row%%	*} == "$FOUND_ID" ]] && break; done
  local id ts size files
  IFS=$'\t' read -r id ts size files <<<"$row"
  rfc2822 "$ts"
  printf '%s  WARN main:start:open: tuwunel_database::engine::backup: Restoring database backup backup_id=%s timestamp=%s size=%s num_files=%s path="/var/lib/tuwunel"\n' "$ISO" "$id" "$RFC2822" "$size" "$files"
  for f in "${BACKED_UP[@]}"; do
    if [[ -f $STATE/tuwunel/backup-data/$id/$f ]]; then
      command cp -f "$STATE/tuwunel/backup-data/$id/$f" "$STATE/tuwunel/$f.tmp"
      command mv -f "$STATE/tuwunel/$f.tmp" "$STATE/tuwunel/$f"
    fi
  done
  printf '%s  INFO main:start:open: tuwunel_database::engine::backup: Restored database backup backup_id=%s\n' "$ISO" "$id"
}

tw_server_backup_database() {
  backups_to_keep
  if version_at_least 1.8.2; then
    if ((KEEP <= 0)); then
      t_fail "There was a problem with the 'database_backups_to_keep' directive in your configuration: Set above zero to enable backups; no backup was created."
      return
    fi
    backup_engine || { t_fail "$BACKUP_ERROR"; return; }
    create_backup
    purge_backups "$KEEP"
    backup_rows
    t_ok "Done. Currently have ${#BACKUP_ROWS[@]} backups."
    return
  fi
  # Before 1.8.2 a failed backup read "Failed: …" and the count that follows fails the command.
  backup_engine || { t_fail "$BACKUP_ERROR"; return; }
  ((KEEP > 0)) && create_backup
  ((KEEP >= 0)) && purge_backups "$KEEP"
  backup_rows
  t_ok "Done. Currently have ${#BACKUP_ROWS[@]} backups."
}

rfc2822() { # epoch s -> RFC2822, as chrono's to_rfc2822 (day not padded)
  local d
  TZ=UTC printf -v RFC2822 '%(%a, %d %b %Y %H:%M:%S +0000)T' "$1"
  d=${RFC2822:5:2}
  [[ $d == 0? ]] && RFC2822="${RFC2822:0:5}${d:1}${RFC2822:7}"
}

tw_server_list_backups() {
  backup_engine || { t_fail "$BACKUP_ERROR"; return; }
  backup_rows
  if ((${#BACKUP_ROWS[@]} == 0)); then
    t_fail 'No backups found.'
    return
  fi
  local row id ts size files
  T_OUT=
  for row in "${BACKUP_ROWS[@]}"; do
    IFS=$'\t' read -r id ts size files <<<"$row"
    rfc2822 "$ts"
    T_OUT+="#$id $RFC2822: $size bytes, $files files"
    # 1.8.3 puts each backup on its own line; before, they ran together.
    version_at_least 1.8.3 && T_OUT+=$'\n'
  done
  T_KIND=markdown T_STATUS=ok
}

find_backup() { # id (0 = newest) -> FOUND_ID or a failure
  backup_rows
  if ((${#BACKUP_ROWS[@]} == 0)); then
    t_fail 'No backups found.'
    return 1
  fi
  if (($1 == 0)); then
    FOUND_ID=${BACKUP_ROWS[-1]%%	*}
    return 0
  fi
  local row ids=()
  for row in "${BACKUP_ROWS[@]}"; do
    [[ ${row%%	*} == "$1" ]] && { FOUND_ID=$1; return 0; }
    ids+=("${row%%	*}")
  done
  # swap_remove never happened, so every backup is "available".
  local IFS=,
  local list="${ids[*]}"
  t_fail "Backup #$1 not found; available: ${list//,/, }"
  return 1
}

tw_server_verify_backup() {
  backup_engine || { t_fail "$BACKUP_ERROR"; return; }
  find_backup "${P[backup_id]:-0}" || return
  if [[ -f $STATE/tuwunel/backup-corrupt ]] && [[ $(<"$STATE/tuwunel/backup-corrupt") == "$FOUND_ID" ]]; then
    t_fail "Corruption: File private/$FOUND_ID/000012.sst corrupt"
    return
  fi
  t_ok "Verified backup #$FOUND_ID: all files present with expected sizes."
}

tw_server_delete_backups() {
  backup_engine || { t_fail "$BACKUP_ERROR"; return; }
  purge_backups "${P[keep]}"
  backup_rows
  t_ok "Done. Currently have ${#BACKUP_ROWS[@]} backups."
}

# ---------------------------------------------------------------- tokens

config_tokens() { # -> CONFIG_TOKENS from the rendered tuwunel.toml
  CONFIG_TOKENS=()
  toml_value registration_token && [[ $TOML_VALUE ]] && CONFIG_TOKENS=("$TOML_VALUE")
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

tw_token_issue() {
  local max_uses=${P[max_uses]:--} max_age=${P[max_age]-}
  [[ $max_uses == - && ${P[once]-} ]] && max_uses=1
  max_uses=${max_uses#+}
  local expiry=-
  if [[ ${P[max_age]+set} ]]; then
    if ! parse_duration_ms "$max_age"; then
      t_fail "'\"$max_age\"' is not a valid duration string: UnknownUnitError"
      return
    fi
    now_ms
    expiry=$((NOW_MS + DUR_MS))
  fi
  random_string 16
  printf '%s\t%s\t0\t0\t%s\n' "$RANDOM_STRING" "$max_uses" "$expiry" >>"$TOKENS"
  token_info "$max_uses" 0 "$expiry"
  t_ok "New registration token issued: \`$RANDOM_STRING\` - $INFO"
}

# Valid database tokens in key order; used-up and expired ones are dropped as Tuwunel does.
load_tokens() {
  DB_TOKENS=()
  local tok allowed pending done expiry kept=()
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

tw_token_list() {
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
  T_KIND=markdown T_STATUS=ok
}

tw_token_revoke() {
  local target=${P[token]} t found= line rest=()
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
  t_ok 'Token revoked successfully.'
}

# ---------------------------------------------------------------- dispatch

tuwunel_exec() {
  T_STATUS=error T_OUT= T_KIND=markdown
  [[ ${GRAMMAR_VERSION-} ]] || grammar_load
  if ! admin_parse "$1"; then
    # Parse errors name the server where clap's texts say "server.name" (processor.rs).
    T_OUT=${T_OUT//server.name/$T_SERVER}
    return 0
  fi
  local fn=tw_${CMD// /_}
  fn=${fn//-/_}
  if declare -F "$fn" >/dev/null; then
    "$fn"
  else
    # A command of the release's grammar the lab does not act out: said plainly, never faked.
    t_fail "The Homeserver Tray lab does not model \`$CMD\` (Tuwunel $TUWUNEL_VERSION has it)."
  fi
}
