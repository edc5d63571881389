# Parses one admin command line as Tuwunel does: parse_line (src/service/admin/processor.rs, earlier
# src/admin/processor.rs) makes the argv, then clap 4.6 (built with the features Tuwunel enables:
# error-context, help, usage, no suggestions) matches it against the release's command enum, read
# from lib/grammar/<version>.sh (generated from the release's source, see tests/lab/tuwunel/).
#   admin_parse "<line>"  ->  0 with CMD (canonical path, e.g. "users make-user-admin") and P[<arg id>],
#                              or 1 with T_OUT (clap's message or help) and T_KIND=plain
# Clap texts follow clap_builder 4.6: error/format.rs, output/usage.rs, parser/parser.rs.

# Keys are command paths; the root's is "@" (bash refuses an empty key).
declare -A G_SUBS=() G_ALIAS=() G_USAGE=() G_ARGS=() G_GROUPS=() G_HELP=() P=()

# The grammar of the nearest release at or below TUWUNEL_VERSION that the lab has read.
grammar_load() {
  local v f best=
  for f in "$LIB"/grammar/*.sh; do
    [[ $f == *.help.sh ]] && continue
    v=${f##*/}
    v=${v%.sh}
    version_at_least "$v" || continue
    if [[ ! $best ]] || ! version_compare "$v" "$best"; then best=$v; fi
  done
  [[ $best ]] || best=1.7.0
  GRAMMAR_VERSION=$best
  . "$LIB/grammar/$best.sh"
}

version_compare() { # A B -> true when A <= B
  local IFS=. a b i
  read -ra a <<<"$1"
  read -ra b <<<"$2"
  for i in 0 1 2; do
    ((${a[i]:-0} < ${b[i]:-0})) && return 0
    ((${a[i]:-0} > ${b[i]:-0})) && return 1
  done
  return 0
}

# parse_line: split on whitespace, strip escapes from "\!admin", put "admin" first unless the first word
# ends with "admin" or is a user ID, `help X` -> `X --help`, `_` -> `-` in the first two words (and the
# third of `query`).
parse_line() { # line -> ARGV
  local line=$1 l
  # Only the first non-empty line is the command; the rest is its body.
  while IFS= read -r l; do
    [[ ${l//[[:space:]]/} ]] && { line=$l; break; }
  done <<<"$1"
  read -ra ARGV <<<"$line"
  ((${#ARGV[@]})) || return 0
  if [[ ${ARGV[0]} == *admin ]]; then
    while [[ ${ARGV[0]} == \\* ]]; do ARGV[0]=${ARGV[0]#\\}; done
  elif [[ ${ARGV[0]} != @* ]]; then
    ARGV=(admin "${ARGV[@]}")
  fi
  if ((${#ARGV[@]} > 1)) && [[ ${ARGV[1]} == help ]]; then
    ARGV=("${ARGV[0]}" "${ARGV[@]:2}" --help)
  fi
  ((${#ARGV[@]} > 1)) && ARGV[1]=${ARGV[1]//_/-}
  ((${#ARGV[@]} > 2)) && ARGV[2]=${ARGV[2]//_/-}
  if ((${#ARGV[@]} > 3)) && [[ ${ARGV[1]} == query ]]; then ARGV[3]=${ARGV[3]//_/-}; fi
}

# clap's Display of an error: "error: <message>[<tip>][\n\n<usage>]\n\nFor more information, try '--help'.\n"
clap_fail() { # message, [usage], [tip]
  T_OUT="error: $1"
  [[ ${3-} ]] && T_OUT+=$'\n\n'"  tip: $3"
  [[ ${2-} ]] && T_OUT+=$'\n\n'"Usage: $2"
  T_OUT+=$'\n\n'"For more information, try '--help'."$'\n'
  T_KIND=plain T_STATUS=error
}

# The help clap prints for a command (DisplayHelp, or DisplayHelpOnMissingArgumentOrSubcommand for a group
# without its subcommand). Short help for both -h and --help: the lab renders clap's short form only.
clap_help() { # path
  [[ ${G_HELP_LOADED-} ]] || { . "$LIB/grammar/$GRAMMAR_VERSION.help.sh"; G_HELP_LOADED=1; }
  T_OUT=${G_HELP[$1]}
  T_OUT=${T_OUT/Usage: admin/Usage: $BIN_NAME}
  T_KIND=plain T_STATUS=error
}

# The words of clap's usage line of a leaf, from its arg specs.
# arg spec: kind,short,long,VALUE,required,multiple,type,values,default,hidden
split_spec() { # spec -> S_KIND S_SHORT S_LONG S_VALUE S_REQ S_MULTI S_TYPE S_VALUES S_DEFAULT S_HIDDEN
  IFS=, read -r S_KIND S_SHORT S_LONG S_VALUE S_REQ S_MULTI S_TYPE S_VALUES S_DEFAULT S_HIDDEN <<<"$1"
}

# arg_display: how clap names an argument in errors (`<USER_ID>`, `[BACKUP_ID]`, `--max-uses <MAX_USES>`).
arg_display() { # spec -> ARG_NAME
  split_spec "$1"
  if [[ $S_KIND == positional ]]; then
    if ((S_REQ)); then ARG_NAME="<$S_VALUE>"; else ARG_NAME="[$S_VALUE]"; fi
    ((S_MULTI)) && ARG_NAME+=...
  else
    if [[ $S_LONG ]]; then ARG_NAME="--$S_LONG"; else ARG_NAME="-$S_SHORT"; fi
    [[ $S_KIND == option ]] && ARG_NAME+=" <$S_VALUE>"
    [[ $S_KIND == option ]] && ((S_MULTI)) && ARG_NAME+=...
  fi
}

# clap's "smart usage" for errors raised after some arguments were seen: the command, the used options,
# then every positional (required ones in <>, optional in []).
smart_usage() { # path, ids used (space-separated) -> USAGE
  local path=$1 used=" $2 " spec words=("${BIN_NAME}${path:+ $path}") i=0
  local -a specs
  IFS='|' read -ra specs <<<"${G_ARGS[$path]}"
  for spec in "${specs[@]}"; do
    split_spec "$spec"
    if [[ $S_KIND != positional && $used == *" $i "* ]]; then
      arg_display "$spec"
      words+=("$ARG_NAME")
    fi
    i=$((i + 1))
  done
  for spec in "${specs[@]}"; do
    split_spec "$spec"
    [[ $S_KIND == positional && $S_HIDDEN == 0 ]] || continue
    arg_display "$spec"
    words+=("$ARG_NAME")
  done
  USAGE="${words[*]}"
}

help_usage() { # path -> USAGE (the usage line of the command's help)
  USAGE=${G_USAGE[$1]}
  USAGE="$BIN_NAME${USAGE#admin}"
}

# Ruma's ID parsers, as far as the lab's commands need them (ruma-identifiers-validation).
check_value() { # type, value -> 0, or 1 with VALUE_ERROR
  local t=$1 v=$2
  case $t in
  uint)
    if [[ ! $v ]]; then VALUE_ERROR='cannot parse integer from empty string'
    elif [[ ! $v =~ ^\+?[0-9]+$ ]]; then VALUE_ERROR='invalid digit found in string'
    elif ((${#v} > 19)); then VALUE_ERROR='number too large to fit in target type'
    else return 0; fi
    return 1
    ;;
  int)
    [[ $v =~ ^[-+]?[0-9]+$ ]] && return 0
    VALUE_ERROR='invalid digit found in string'
    return 1
    ;;
  user_id | room_id | room_alias_id | event_id | room_or_alias_id)
    local sigils
    case $t in user_id) sigils=@ ;; room_id) sigils='!' ;; room_alias_id) sigils='#' ;; event_id) sigils='$' ;; *) sigils='!#' ;; esac
    if [[ ! $v ]]; then VALUE_ERROR='identifier or required part of it is empty'; return 1; fi
    if ((${#v} > 255)); then VALUE_ERROR='ID exceeds 255 bytes'; return 1; fi
    if [[ $sigils != *"${v:0:1}"* ]]; then VALUE_ERROR='leading sigil is incorrect or missing'; return 1; fi
    if [[ $t == user_id || $t == room_alias_id ]]; then
      [[ $v == *:* ]] || { VALUE_ERROR='required colon is missing'; return 1; }
      server_name_ok "${v#*:}" || { VALUE_ERROR='server name is not a valid IP address or domain name'; return 1; }
    fi
    return 0
    ;;
  server_name)
    server_name_ok "$v" && return 0
    VALUE_ERROR='server name is not a valid IP address or domain name'
    return 1
    ;;
  enum)
    return 0
    ;;
  esac
  return 0
}

server_name_ok() {
  [[ $1 =~ ^([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(:[0-9]{1,5})?$ ]]
}

# admin_parse LINE: walks the groups, then matches the leaf's arguments.
admin_parse() {
  P=() CMD=
  parse_line "$1"
  BIN_NAME=${ARGV[0]:-admin}
  local path='' i=1 tok name n=${#ARGV[@]}
  while [[ ${G_SUBS[${path:-@}]+set} ]]; do
    if ((i >= n)); then
      clap_help "${path:-@}"
      return 1
    fi
    tok=${ARGV[i]}
    case $tok in
    -h | --help)
      clap_help "${path:-@}"
      return 1
      ;;
    -V | --version)
      if [[ ! $path ]]; then
        T_OUT="tuwunel $TUWUNEL_VERSION"$'\n' T_KIND=plain T_STATUS=error
        return 1
      fi
      ;;
    help)
      # clap's help subcommand: the help of the named subcommands' command.
      local hpath=$path w
      for w in "${ARGV[@]:i+1}"; do
        name=${G_ALIAS["${hpath:+$hpath }$w"]-}
        [[ $name ]] || { [[ " ${G_SUBS[${hpath:-@}]-} " == *" $w "* ]] && name=$w; }
        if [[ ! $name ]]; then
          help_usage "${hpath:-@}"
          clap_fail "unrecognized subcommand '$w'" "$USAGE"
          return 1
        fi
        hpath=${hpath:+$hpath }$name
      done
      clap_help "${hpath:-@}"
      return 1
      ;;
    esac
    if [[ $tok == -?* ]]; then
      help_usage "${path:-@}"
      clap_fail "unexpected argument '$tok' found" "$USAGE"
      return 1
    fi
    name=${G_ALIAS["${path:+$path }$tok"]-}
    [[ $name ]] || { [[ " ${G_SUBS[${path:-@}]} " == *" $tok "* ]] && name=$tok; }
    if [[ ! $name ]]; then
      help_usage "${path:-@}"
      clap_fail "unrecognized subcommand '$tok'" "$USAGE"
      return 1
    fi
    path=${path:+$path }$name
    i=$((i + 1))
  done
  CMD=$path
  leaf_parse "$path" "${ARGV[@]:i}"
}

leaf_parse() { # path, args...
  local path=$1
  shift
  local -a specs
  IFS='|' read -ra specs <<<"${G_ARGS[$path]-}"
  local k spec trailing= tok used='' pos=() has_pos=
  for k in "${!specs[@]}"; do
    split_spec "${specs[k]}"
    [[ $S_KIND == positional ]] && pos+=("$k") && has_pos=1
  done
  local next_pos=0
  while (($#)); do
    tok=$1
    shift
    if [[ ! $trailing && $tok == -- ]]; then
      trailing=1
      continue
    fi
    if [[ ! $trailing && ($tok == -h || $tok == --help) ]]; then
      clap_help "$path"
      return 1
    fi
    if [[ ! $trailing && $tok == --?* ]]; then
      local lname=${tok#--} value= has_value=
      if [[ $lname == *=* ]]; then value=${lname#*=} lname=${lname%%=*} has_value=1; fi
      local found=
      for k in "${!specs[@]}"; do
        split_spec "${specs[k]}"
        [[ $S_KIND != positional && $S_LONG == "$lname" ]] && { found=$k; break; }
      done
      if [[ ! $found ]]; then
        local tip=
        [[ $has_pos ]] && tip="to pass '$tok' as a value, use '-- $tok'"
        if [[ $used ]]; then smart_usage "$path" "$used"; else help_usage "$path"; fi
        clap_fail "unexpected argument '$tok' found" "$USAGE" "$tip"
        return 1
      fi
      split_spec "${specs[found]}"
      if [[ $S_KIND == flag ]]; then
        if [[ $has_value ]]; then
          smart_usage "$path" "$used $found"
          clap_fail "unexpected value '$value' for '--$S_LONG' found; no more were expected" "$USAGE"
          return 1
        fi
        P[$found]=1
      else
        if [[ ! $has_value ]]; then
          if (($# == 0)); then
            arg_display "${specs[found]}"
            clap_fail "a value is required for '$ARG_NAME' but none was supplied"
            return 1
          fi
          value=$1
          shift
        fi
        arg_value "$found" "$value" || return 1
      fi
      used+=" $found"
      continue
    fi
    if [[ ! $trailing && $tok == -?* && ! $tok =~ ^-[0-9] ]]; then
      local cluster=${tok#-} c j
      for ((j = 0; j < ${#cluster}; j++)); do
        c=${cluster:j:1}
        local found=
        for k in "${!specs[@]}"; do
          split_spec "${specs[k]}"
          [[ $S_KIND != positional && $S_SHORT == "$c" ]] && { found=$k; break; }
        done
        if [[ ! $found ]]; then
          local tip=
          [[ $has_pos ]] && tip="to pass '-$c' as a value, use '-- -$c'"
          help_usage "$path"
          clap_fail "unexpected argument '-$c' found" "$USAGE" "$tip"
          return 1
        fi
        split_spec "${specs[found]}"
        if [[ $S_KIND == flag ]]; then
          P[$found]=1
        else
          local value=${cluster:j+1}
          [[ ${value#=} != "$value" ]] && value=${value#=}
          if [[ ! $value ]]; then
            if (($# == 0)); then
              arg_display "${specs[found]}"
              clap_fail "a value is required for '$ARG_NAME' but none was supplied"
              return 1
            fi
            value=$1
            shift
          fi
          arg_value "$found" "$value" || return 1
          j=${#cluster}
        fi
        used+=" $found"
      done
      continue
    fi
    # A positional value.
    if ((next_pos >= ${#pos[@]})); then
      help_usage "$path"
      clap_fail "unexpected argument '$tok' found" "$USAGE"
      return 1
    fi
    k=${pos[next_pos]}
    split_spec "${specs[k]}"
    ((S_MULTI)) || next_pos=$((next_pos + 1))
    arg_value "$k" "$tok" || return 1
    used+=" $k"
  done
  # Required arguments (options first, then positionals by index), and required groups.
  local missing=() missing_ids=''
  for k in "${!specs[@]}"; do
    split_spec "${specs[k]}"
    [[ $S_KIND != positional && $S_REQ == 1 && ! ${P[$k]+set} ]] && { arg_display "${specs[k]}"; missing+=("$ARG_NAME"); missing_ids+=" $k"; }
  done
  local g
  if [[ ${G_GROUPS[$path]-} ]]; then
    local -a groups
    IFS='|' read -ra groups <<<"${G_GROUPS[$path]}"
    for g in "${groups[@]}"; do
      local ids member any= names=()
      IFS=, read -ra ids <<<"$g"
      for member in "${ids[@]}"; do
        for k in "${!specs[@]}"; do
          split_spec "${specs[k]}"
          if [[ ${S_LONG:-} == "${member//_/-}" || ($S_KIND == positional && $S_VALUE == "${member^^}") ]]; then
            [[ ${P[$k]+set} ]] && any=1
            arg_display "${specs[k]}"
            names+=("$ARG_NAME")
          fi
        done
      done
      if [[ ! $any ]]; then
        local IFS='|'
        missing+=("<${names[*]}>")
      fi
    done
  fi
  for k in "${pos[@]}"; do
    split_spec "${specs[k]}"
    [[ $S_REQ == 1 && ! ${P[$k]+set} ]] && { arg_display "${specs[k]}"; missing+=("$ARG_NAME"); missing_ids+=" $k"; }
  done
  if ((${#missing[@]})); then
    local msg='the following required arguments were not provided:' m
    for m in "${missing[@]}"; do msg+=$'\n'"  $m"; done
    smart_usage "$path" "$used$missing_ids"
    clap_fail "$msg" "$USAGE"
    return 1
  fi
  # Defaults, then the values under their field names for the handlers.
  local -A named=()
  for k in "${!specs[@]}"; do
    split_spec "${specs[k]}"
    local id=${S_VALUE,,}
    if [[ ${P[$k]+set} ]]; then
      named[$id]=${P[$k]}
    elif [[ $S_DEFAULT ]]; then
      named[$id]=$S_DEFAULT
    fi
  done
  P=()
  for k in "${!named[@]}"; do P[$k]=${named[$k]}; done
  return 0
}

# Stores one value of spec k, checked by its type as clap's value parser would.
arg_value() { # k, value
  local k=$1 v=$2
  split_spec "${specs[k]}"
  if [[ $S_TYPE == enum && " $S_VALUES " != *" $v "* ]]; then
    arg_display "${specs[k]}"
    T_OUT="error: invalid value '$v' for '$ARG_NAME'"$'\n'"  [possible values: ${S_VALUES// /, }]"$'\n\n'"For more information, try '--help'."$'\n'
    T_KIND=plain T_STATUS=error
    return 1
  fi
  if ! check_value "$S_TYPE" "$v"; then
    arg_display "${specs[k]}"
    T_OUT="error: invalid value '$v' for '$ARG_NAME': $VALUE_ERROR"$'\n\n'"For more information, try '--help'."$'\n'
    T_KIND=plain T_STATUS=error
    return 1
  fi
  if ((S_MULTI)) && [[ ${P[$k]+set} ]]; then
    P[$k]+=$'\x1f'$v
  else
    P[$k]=$v
  fi
}
