# The lab's per-host command wrapper. sshd's SetEnv points HOME at <host>/root, so the session bash
# that runs every ssh command sources this file (Debian's bash reads ~/.bashrc when started by sshd)
# instead of root's own ~/.bashrc (pyenv, ~175 ms). Unlike a ForceCommand wrapper this costs no extra
# bash per command, and sshd treats the session as the plain `bash -c <command>` a real host runs
# (ForceCommand sessions, for one, never get "signal" requests).
if [[ -v BASH_EXECUTION_STRING ]]; then
  # NUL-terminated because command lines (status scripts) span several lines.
  printf '%s\0' "$BASH_EXECUTION_STRING" >>"$LAB_HOST_DIR/exec.log"
fi
export PATH="$LAB_HOST_DIR/bin:/usr/local/bin:/usr/bin:/bin"
export LAB_HOST_DIR LAB_DIR
cd -- "$HOME" 2>/dev/null
if [[ -s $LAB_HOST_DIR/faults/latency ]]; then
  read -r __lab_ms <"$LAB_HOST_DIR/faults/latency"
  if ((__lab_ms > 0)); then
    printf -v __lab_ms '%d.%03d' $((__lab_ms / 1000)) $((__lab_ms % 1000))
    /bin/sleep "$__lab_ms"
  fi
  unset __lab_ms
fi
