"""proxmox-backup-client as the lab's deploy host has it: `snapshot list` against the lab's Proxmox Backup
Server, whose state is <deploy host>/state/pbs/ (tests/lab/deploy/pbs/setup-pbs.ts writes it).

What the real client does, from proxmox-backup (proxmox-backup-client/src/snapshot.rs, pbs-client) and
pbs-api-types (SnapshotListItem): the repository from --repository or PBS_REPOSITORY
(`[[user@realm[!token]@]server[:port]:]datastore`), the password from PBS_PASSWORD or the first line of
PBS_PASSWORD_FILE (no terminal here, so nothing else), the server's self-signed certificate accepted only
with its fingerprint in PBS_FINGERPRINT; `--output-format json` prints the API's data array compactly,
`json-pretty` indented, `text` as a table. Errors are `Error: <message>` on stderr with exit code 255
(proxmox-router's CLI ends with exit(-1)).
"""
import json
import os
import re
import sys
from datetime import datetime, timezone

STATE = os.path.join(os.environ["LAB_HOST_DIR"], "state", "pbs")
REPOSITORY = re.compile(
    r"^(?:(?:(?P<user>[A-Za-z0-9._-]+@[A-Za-z0-9._-]+(?:![A-Za-z0-9._-]+)?)@)?"
    r"(?P<server>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d+))?:)?(?P<store>[A-Za-z0-9_][A-Za-z0-9._-]+)$"
)


def fail(message):
    sys.stderr.write(f"Error: {message}\n")
    sys.exit(255)


def read(name):
    with open(os.path.join(STATE, name), encoding="utf-8") as f:
        return f.read()


def parse_args(argv):
    positional, options = [], {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if not eq:
                i += 1
                if i >= len(argv):
                    fail(f"parameter verification errors\n\nparameter '{name}': missing value")
                value = argv[i]
            options[name] = value
        else:
            positional.append(arg)
        i += 1
    return positional, options


def password(user):
    if "PBS_PASSWORD" in os.environ:
        return os.environ["PBS_PASSWORD"]
    path = os.environ.get("PBS_PASSWORD_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return f.readline().rstrip("\n")
        except OSError as e:
            fail(f"unable to read file '{path}' - {e.strerror} (os error {e.errno})")
    fail("no password input mechanism available")


def snapshot_path(item):
    when = datetime.fromtimestamp(item["backup-time"], tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{item['backup-type']}/{item['backup-id']}/{when}"


def human(n):
    units = ["B", "KiB", "MiB", "GiB", "TiB"]
    v, i = float(n), 0
    while v >= 1024 and i < len(units) - 1:
        v, i = v / 1024, i + 1
    return f"{v:.3f} {units[i]}" if i else f"{int(v)} B"


def text_table(items):
    rows = [(snapshot_path(s), human(s["size"]) if "size" in s else "", " ".join(f["filename"] for f in s["files"])) for s in items]
    head = ("snapshot", "size", "files")
    widths = [max([len(head[c])] + [len(r[c]) for r in rows]) for c in range(3)]
    line = "┌" + "┬".join("─" * (w + 2) for w in widths) + "┐"
    out = [line, "│" + "│".join(f" {head[c].ljust(widths[c])} " for c in range(3)) + "│"]
    out.append("╞" + "╪".join("═" * (w + 2) for w in widths) + "╡")
    for r in rows:
        out.append("│" + "│".join(f" {r[c].ljust(widths[c])} " for c in range(3)) + "│")
    out.append("└" + "┴".join("─" * (w + 2) for w in widths) + "┘")
    return "\n".join(out) + "\n"


def snapshot_list(positional, options):
    repo = options.get("repository") or os.environ.get("PBS_REPOSITORY")
    if not repo:
        fail("unable to get (default) repository")
    m = REPOSITORY.match(repo)
    if not m:
        fail(f"parameter verification errors\n\nparameter 'repository': value does not match the regex pattern")
    server = read("server").strip()
    if (m["server"] or "localhost") != server or (m["port"] or "8007") != "8007":
        fail("error trying to connect: tcp connect error: Connection refused (os error 111)")
    fingerprint = os.environ.get("PBS_FINGERPRINT", "").lower()
    if fingerprint != read("fingerprint").strip().lower():
        fail(
            "error trying to connect: the handshake failed: error:0A000086:SSL routines:"
            "tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:"
        )
    user = m["user"] or "root@pam"
    if password(user) != read("password").strip() or user != read("user").strip():
        fail("permission check failed.")
    if m["store"] != read("datastore").strip():
        fail(f"no such datastore '{m['store']}'")
    group = positional[0] if positional else None
    if group is not None and not re.match(r"^(vm|ct|host)/[A-Za-z0-9_][A-Za-z0-9._-]*$", group):
        fail(f"unable to parse backup group path '{group}'")
    ns = options.get("ns", "")
    items = [
        s
        for s in json.loads(read("snapshots.json"))
        if s.pop("ns", "") == ns and (group is None or f"{s['backup-type']}/{s['backup-id']}" == group)
    ]
    fmt = options.get("output-format", "text")
    if fmt == "json":
        sys.stdout.write(json.dumps(items, separators=(",", ":")) + "\n")
    elif fmt == "json-pretty":
        sys.stdout.write(json.dumps(items, indent=2) + "\n")
    elif fmt == "text":
        sys.stdout.write(text_table(items))
    else:
        fail(f"parameter verification errors\n\nparameter 'output-format': value '{fmt}' is not defined in the enumeration.")


def main(argv):
    positional, options = parse_args(argv)
    if positional[:2] == ["snapshot", "list"]:
        snapshot_list(positional[2:], options)
        return
    fail(f"the lab's proxmox-backup-client knows only `snapshot list`, not {' '.join(positional) or 'nothing'}")


main(sys.argv[1:])
