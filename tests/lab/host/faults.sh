# Fault switches for stand-in commands (tests/lab/faults.ts writes the rules).
# Usage, first thing in a stand-in:  . "$LAB_HOST_DIR/lib/faults.sh"; lab_fault_check NAME "$@"
# Rule files <host>/faults/rules/<seq>.rule hold four lines: kind (hang|exit|cut), exit code,
# times (-1 = every time) and a bash glob matched against "NAME ARG1 ARG2 …" (joined by spaces).
# Everything here is bash builtins: the stand-ins run in every status poll.

# Blocks until stdout's reader goes away (ssh channel closed, connection cut) or a signal arrives.
# GNU tail -f exits when its output pipe is closed, which a plain sleep would never notice.
lab_hang() {
  exec tail -f /dev/null
}

# Kills the sshd processes that carry this command's connection, as a dropped link would.
lab_cut_connection() {
  local pid=$$ listener= stat comm victims=()
  [[ -r $LAB_HOST_DIR/sshd/listener.pid ]] && read -r listener <"$LAB_HOST_DIR/sshd/listener.pid"
  while ((pid > 1)); do
    read -r stat <"/proc/$pid/stat" 2>/dev/null || break
    read -r comm <"/proc/$pid/comm" 2>/dev/null || break
    if [[ $comm == sshd ]]; then
      [[ $pid == "$listener" ]] && break
      victims+=("$pid")
    fi
    stat=${stat##*) }
    stat=${stat#* }
    pid=${stat%% *}
  done
  ((${#victims[@]})) && kill -KILL "${victims[@]}" 2>/dev/null
  exit 255
}

lab_fault_check() {
  local dir=$LAB_HOST_DIR/faults/rules
  [[ -d $dir ]] || return 0
  local line="$*" rule kind code times pattern k claimed msg
  local -
  set -C
  for rule in "$dir"/*.rule; do
    [[ -f $rule ]] || continue
    { read -r kind && read -r code && read -r times && IFS= read -r pattern; } <"$rule" || continue
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $line == $pattern ]] || continue
    if ((times >= 0)); then
      claimed=
      for ((k = 1; k <= times; k++)); do
        # noclobber makes the create atomic, so concurrent commands never both take the last use.
        if { : >"${rule%.rule}.claim.$k"; } 2>/dev/null; then
          claimed=1
          break
        fi
      done
      [[ $claimed ]] || continue
    fi
    case $kind in
    exit)
      if [[ -f ${rule%.rule}.stderr ]]; then
        IFS= read -r -d '' msg <"${rule%.rule}.stderr"
        printf '%s' "$msg" >&2
      fi
      exit "$code"
      ;;
    hang) lab_hang ;;
    cut) lab_cut_connection ;;
    esac
  done
  return 0
}
