import { shellQuote } from './quote';
import type { CommandProcess } from './remote-command';

/**
 * The remote script that stops a command: every process it started, not only its process group.
 *
 * A group is not enough: GNU `timeout` (without --foreground) calls setpgid(0,0), so `timeout 60 docker
 * run …` and docker leave the wrapper's group; sudo with `use_pty` (Debian 12's default) runs the
 * command in a new session on a pty. So the script walks the process tree from the wrapper (ppid links
 * in /proc/<pid>/stat), and adds the members of every session or group that one of the command's
 * processes leads (the wrapper leads its ssh session: sshd calls setsid), which also finds a member
 * whose parent has already exited. A process that double-forks AND calls setsid escapes both.
 *
 * Pid reuse: a pid is only trusted together with its start time (field 22 of stat). A leader's number
 * stays taken while any process has it as session or group id (the kernel frees a pid only when no
 * process uses it as pid, group or session), so its members are still ours even after the leader
 * exited; once a scan finds none, the leader is dropped for good.
 *
 * Order: snapshot, TERM all at once (sudo, `timeout` and `docker run` also relay it: the container,
 * which is no descendant, stops through docker's signal proxy), re-scan every 50 ms (children spawned
 * meanwhile are tracked, not signalled, so a clean shutdown can finish), and after the grace period
 * STOP everything (re-scanning until a scan finds nothing new, so nothing forks away) and KILL it.
 */

/** Field 22 of /proc/<pid>/stat is the 20th word after the `) ` that ends the command name. */
const SCAN_AWK = `
function keep(list, arr,   n, i, e, pair) {
  n = split(list, e, " ")
  for (i = 1; i <= n; i++) if (e[i] ~ /^[0-9]+:[0-9]+$/) { split(e[i], pair, ":"); arr[pair[1]] = pair[2] }
}
BEGIN {
  for (i = 1; i < ARGC; i++) {
    f = ARGV[i]; s = ""
    while ((getline line < f) > 0) s = s line "\\n"
    close(f)
    p = f; gsub(/[^0-9]/, "", p)
    at = 0; while ((j = index(substr(s, at + 1), ") ")) > 0) at += j
    if (p == "" || at == 0 || split(substr(s, at + 2), a, " ") < 20) continue
    st[p] = a[1]; pp[p] = a[2]; gr[p] = a[3]; se[p] = a[4]; t0[p] = a[20]
  }
  keep(known, was); keep(lead, led)
  for (p in was) if ((p in st) && t0[p] == was[p]) ours[p] = 1
  for (l in led) {
    if (!(l in st)) gone[l] = led[l]
    else if (t0[l] == led[l]) ld[l] = led[l]
  }
  for (p in st) {
    if (se[p] in gone) ld[se[p]] = gone[se[p]]
    if (gr[p] in gone) ld[gr[p]] = gone[gr[p]]
  }
  do {
    more = 0
    for (p in ours) if (!(p in ld) && (se[p] == p || gr[p] == p)) { ld[p] = t0[p]; more = 1 }
    for (p in st) if (!(p in ours) && p != 1 && ((pp[p] in ours) || (se[p] in ld) || (gr[p] in ld))) { ours[p] = 1; more = 1 }
  } while (more)
  ko = ""; po = ""; lo = ""; fresh = 0
  for (p in ours) if (st[p] != "Z") { ko = ko " " p ":" t0[p]; po = po " " p; if (!(p in was)) fresh++ }
  for (p in ld) lo = lo " " p ":" ld[p]
  printf "known=\\"%s\\" lead=\\"%s\\" pids=\\"%s\\" fresh=%d\\n", ko, lo, po, fresh
}`;

export interface KillScriptOptions {
  /**
   * Only act while the wrapper itself is still alive with its recorded start time. For a command left
   * behind by a dropped connection, found again later: by then its numbers may belong to someone else.
   * Without it (stopping a command whose channel is still open), a wrapper that already exited still
   * vouches for the members of its session and group, which hold its number.
   */
  wrapperMustLive?: boolean;
}

export function killScript(
  wrapper: CommandProcess,
  graceSeconds: number,
  options: KillScriptOptions = {},
): string {
  for (const n of [wrapper.pid, wrapper.pgid, wrapper.sid, wrapper.startTime]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Refusing to stop process ${wrapper.pid}.`);
  }
  if (wrapper.pid <= 1) throw new Error(`Refusing to stop process ${wrapper.pid}.`);
  const self = `${wrapper.pid}:${wrapper.startTime}`;
  const leads = wrapper.pgid === wrapper.pid || wrapper.sid === wrapper.pid;
  const graceCs = Math.max(1, Math.round(graceSeconds * 100));
  // The first line stays `pg=<group>`: the runbook's tests tell the pool's kill commands apart by it.
  // The clock is /proc/uptime in centiseconds (a builtin read, no drift from slow scans). No `--` for
  // kill: dash's rejects it. Each scan is one awk over /proc/*/stat, cheaper than a shell loop.
  return [
    `pg=${wrapper.pgid}`,
    `known=${self} lead=${leads && !options.wrapperMustLive ? self : "''"} pids= fresh=0`,
    `awk_scan=${shellQuote(SCAN_AWK.trim())}`,
    // mawk gives up on the whole scan when a process ends between opening its stat file and reading it
    // (ESRCH); a scan that failed is simply tried again.
    'scan() {',
    '  try=0',
    '  until out=$(awk -v known="$known" -v lead="$lead" "$awk_scan" /proc/[0-9]*/stat 2>/dev/null); do',
    '    try=$((try + 1)); [ $try -lt 5 ] || return 0',
    '  done',
    '  eval "$out"',
    '}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion ("1234.56" → 123456)
    'cs() { c=; { read -r u _ </proc/uptime; } 2>/dev/null && c=${u%.*}${u#*.}; }',
    'scan',
    '[ -n "$pids" ] || exit 0',
    'kill -TERM $pids 2>/dev/null',
    'cs; start=$c',
    'while :; do',
    '  sleep 0.05',
    '  scan',
    '  [ -n "$pids" ] || exit 0',
    '  cs',
    `  [ -n "$c" ] && [ -n "$start" ] && [ $((c - start)) -lt ${graceCs} ] || break`,
    'done',
    'n=0',
    'while :; do',
    '  kill -STOP $pids 2>/dev/null',
    '  scan; n=$((n + 1))',
    '  [ "$fresh" -gt 0 ] && [ $n -lt 20 ] || break',
    'done',
    'kill -KILL $pids 2>/dev/null',
    // Wait (briefly) until they are gone, so the channel of the stopped command can close right after.
    'n=0',
    'while [ -n "$pids" ] && [ $n -lt 20 ]; do sleep 0.05; scan; n=$((n + 1)); done',
  ].join('\n');
}
