# Sourced first by every homeserver stand-in: where the host's state lives, the fault switches, the
# unit state. Short on purpose: bash parses every byte on each run (~0.3M instructions per KB), and
# status polls run these commands all the time. What only some commands need is in unit-info.sh.
: "${LAB_HOST_DIR:=${0%/bin/*}}"
STATE=$LAB_HOST_DIR/state
LIB=$LAB_HOST_DIR/lib
# faults.sh is read only when a rule exists.
if [[ ! ${LAB_INTERNAL-} ]]; then
  __lab_rules=("$LAB_HOST_DIR"/faults/rules/*.rule)
  if [[ -e ${__lab_rules[0]} ]]; then
    . "$LIB/faults.sh"
    lab_fault_check "${0##*/}" "$@"
  fi
fi

lab_units() { # -> UNITS: this host's units, sorted (the files in state/units)
  UNITS=()
  local f
  for f in "$STATE"/units/*; do
    [[ -f $f && $f != *.tmp ]] && UNITS+=("${f##*/}")
  done
}

unit_state() { # unit -> U_STATE: active|inactive|failed
  U_STATE=inactive
  [[ -f $STATE/units/$1 ]] && read -r U_STATE <"$STATE/units/$1"
}

# unit_load UNIT -> U_STATE and the meta fields U_*. One `read` of one line is the cheapest way bash
# has to fill eight variables from a file (mapfile plus array lookups costs more).
unit_load() {
  U_STATE=inactive U_SINCE=0 U_PID=0 U_RESTARTS=0 U_CID=- U_CREATED=0 U_EXIT=0 U_RESULT=success U_INVOCATION=-
  [[ -f $STATE/units/$1 ]] && read -r U_STATE <"$STATE/units/$1"
  [[ -f $STATE/unit-meta/$1 ]] &&
    read -r U_SINCE U_PID U_RESTARTS U_CID U_CREATED U_EXIT U_RESULT U_INVOCATION <"$STATE/unit-meta/$1"
}

tuwunel_version() {
  TUWUNEL_VERSION=0.0.0
  [[ -f $STATE/tuwunel/version ]] && read -r TUWUNEL_VERSION <"$STATE/tuwunel/version"
}

now_us() {
  if [[ ${LAB_AT_US-} ]]; then
    NOW_US=$LAB_AT_US
    return
  fi
  local t=${EPOCHREALTIME/./}
  NOW_US=$((10#$t))
}

# A Tuwunel start still under way (a migration, a start that is going to fail) settles before anything reads
# the state; see tuwunel-boot.sh.
if [[ -e $STATE/tuwunel/starting && ! ${LAB_SETTLING-} ]]; then
  LAB_SETTLING=1
  . "$LIB/tuwunel-boot.sh"
  tuwunel_settle
fi
