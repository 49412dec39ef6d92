#!/usr/bin/env bash
# Usage: scripts/test-deploy.sh
# Tests what a sysadmin installs (deploy/, scripts/build-deb.sh): the Prometheus rules (promtool check and
# unit tests) and scrape job, the Alertmanager example and its routing, the systemd unit
# (systemd-analyze verify and security), then builds the .deb, installs it with dpkg -i, starts the
# installed agent by hand as the user kvm-agent with the unit's restrictions that can be had without
# systemd, scrapes it, sends it an Alertmanager webhook, stops it and purges the package, leaving the
# machine as it was (users, groups, /etc, /var/lib, systemd enablement). Needs root. Exits non-zero on
# the first failure.
#
# Env: KVM_AGENT_DEB=path.deb   test this package instead of building one
#      KVM_AGENT_BINARY=path    build the package around this binary (see scripts/build-deb.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# shellcheck source=SCRIPTDIR/lib/report.sh
source scripts/lib/report.sh

[ "$(id -u)" = 0 ] || fail "run as root (dpkg -i, a system user)"
if dpkg-query -W -f='${Status}' kvm-agent 2>/dev/null | grep -q 'ok installed'; then
    fail "a kvm-agent package is installed already; this test would remove it: not touching it"
fi

# shellcheck source=SCRIPTDIR/lib/packages.sh
source scripts/lib/packages.sh
# prometheus: promtool; prometheus-alertmanager: amtool (Debian's policy-rc.d keeps their daemons from
# starting in containers; on a host they start, as packages do). curl: the scrape and the webhook.
ensure_packages test-deploy prometheus prometheus-alertmanager curl adduser

tmp=$(mktemp -d)
chmod 0711 "$tmp"
agent_pid=
traced_pid=
listener_pid=
installed=
user_existed=
group_existed=
cleanup() {
    local rc=$?
    local pid
    for pid in $traced_pid $agent_pid $listener_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ -n "$installed" ]; then
        dpkg --purge kvm-agent >/dev/null 2>&1 || true
    fi
    if [ -z "$user_existed" ] && getent passwd kvm-agent >/dev/null; then
        deluser --system kvm-agent >/dev/null 2>&1 || true
    fi
    if [ -z "$group_existed" ] && getent group kvm-agent >/dev/null; then
        delgroup --system kvm-agent >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    [ $rc = 0 ] || echo "test-deploy: FAILED" >&2
    exit $rc
}
trap cleanup EXIT
getent passwd kvm-agent >/dev/null && user_existed=1
getent group kvm-agent >/dev/null && group_existed=1

# What the machine looks like before: compared after the purge.
machine_state() {
    getent passwd | cut -d: -f1 | sort
    getent group | cut -d: -f1,4 | sort
    find /etc/kvm-agent /etc/default/kvm-agent /var/lib/kvm-agent /usr/share/kvm-agent /usr/share/doc/kvm-agent \
        /usr/lib/systemd/system/kvm-agent.service /usr/bin/kvm-agent 2>/dev/null || true
    find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
        -name '*kvm-agent*' 2>/dev/null || true
}
machine_state >"$tmp/before"

# --- Prometheus -------------------------------------------------------------------------------------
rules=deploy/prometheus/rules/kvm-agent.rules.yml
step "promtool check rules $rules"
promtool check rules "$rules" | sed 's/^/   /'

step "promtool test rules deploy/prometheus/tests/kvm-agent.rules.test.yml"
promtool test rules deploy/prometheus/tests/kvm-agent.rules.test.yml | sed 's/^/   /'
echo "   ($(grep -c 'alertname:' deploy/prometheus/tests/kvm-agent.rules.test.yml) alert cases," \
    "$(grep -c -- '- expr:' deploy/prometheus/tests/kvm-agent.rules.test.yml) expression cases)"

# Every alert in the rules has a firing and a not-firing case in the tests; every metric they use is
# in the README's catalogue.
sed -n 's/^ *- alert: *//p' "$rules" >"$tmp/alerts"
while read -r alert; do
    firing=$(grep -A1 "alertname: $alert\$" deploy/prometheus/tests/kvm-agent.rules.test.yml | grep -c 'exp_alerts:$' || true)
    quiet=$(grep -A1 "alertname: $alert\$" deploy/prometheus/tests/kvm-agent.rules.test.yml | grep -c 'exp_alerts: \[\]' || true)
    if [ "$firing" -lt 1 ] || [ "$quiet" -lt 1 ]; then
        fail "$alert lacks a firing ($firing) or not-firing ($quiet) test"
    fi
done <"$tmp/alerts"
ok "every alert is tested firing and not firing"
# (Names after a colon are recorded series, e.g. instance:kvm_host_vcpu_overcommit:ratio.)
grep -v '^ *#' "$rules" | grep -oE '(^|[^:a-z_])kvm_[a-z_]+' | grep -oE 'kvm_[a-z_]+' | sort -u >"$tmp/metrics-used"
while read -r metric; do
    grep -q "^| \`$metric\` |" README.md || fail "$rules uses $metric, which the README's catalogue lacks"
done <"$tmp/metrics-used"
ok "every kvm_ metric in the rules is in the README's catalogue"

step "promtool check config: a prometheus.yml with the scrape job and the rules"
{
    printf 'global:\n  scrape_interval: 15s\n  evaluation_interval: 15s\n'
    printf 'rule_files:\n  - %s\n' "$root/$rules"
    printf 'alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [localhost:9093]\n'
    cat deploy/prometheus/kvm-agent.yml
} >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml" | sed 's/^/   /'

step "promtool check config: the commented TLS and basic-auth variant of the job"
# Uncomment the block after its "- job_name: kvm" and point its files at real ones.
for f in kvm-agent-ca.pem kvm-agent-client.pem kvm-agent-client.key kvm-agent.password; do touch "$tmp/$f"; done
{
    echo "scrape_configs:"
    sed -n '/^  # - job_name: kvm/,$p' deploy/prometheus/kvm-agent.yml | sed 's/^  # \{0,1\}/  /' |
        sed "s|/etc/prometheus/|$tmp/|; s|^  *# cert_file|      cert_file|; s|^  *# key_file|      key_file|"
} >"$tmp/prometheus-tls.yml"
grep -q 'scheme: https' "$tmp/prometheus-tls.yml" || fail "no TLS variant found in deploy/prometheus/kvm-agent.yml"
promtool check config "$tmp/prometheus-tls.yml" | sed 's/^/   /'

# --- Alertmanager -----------------------------------------------------------------------------------
am=deploy/alertmanager/kvm-agent.yml
step "amtool check-config $am"
amtool check-config "$am" | sed 's/^/   /'
step "amtool config routes test: remediation alerts reach the agent of their host"
route_test() { # EXPECTED-RECEIVERS LABELS...
    local expected=$1
    shift
    amtool config routes test --config.file="$am" --verify.receivers="$expected" "$@" >/dev/null 2>&1 ||
        fail "route of {$*}: expected $expected, got $(amtool config routes test --config.file="$am" "$@" 2>/dev/null)"
    ok "{$*} -> $expected"
}
route_test kvm-agent,null alertname=KVMDomainNotRunning severity=critical instance=kvm01.example.net:9760 domain=web-1
route_test kvm-agent,null alertname=KVMDomainNotRunning instance=kvm01:9760 domain=web-1
route_test kvm-agent-kvm02,null alertname=KVMDomainHung instance=kvm02:9760 domain=db01
route_test null,null alertname=KVMDomainNotRunning instance=kvm010:9760 domain=web-1
route_test null alertname=KVMLibvirtDown instance=kvm01:9760

# --- systemd unit -----------------------------------------------------------------------------------
# systemd-analyze works offline (no systemd as PID 1 needed). It comes with the package systemd, which
# is not installed here if missing: in a container that would replace the init system's packages.
# Warnings (unknown keys, bad values) leave its exit status at 0, so any output counts as a failure.
verify_unit() { # UNIT-FILE
    local out
    out=$(systemd-analyze verify "$1" 2>&1) || fail "systemd-analyze verify $1: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $1: $out"
    ok "systemd-analyze verify $1: no warnings"
}
have_systemd_analyze=
if command -v systemd-analyze >/dev/null; then
    have_systemd_analyze=1
    step "systemd-analyze verify deploy/kvm-agent.service (ExecStart on an existing binary)"
    # The binary is not installed yet: verify a copy whose ExecStart names one that exists.
    mkdir -p "$tmp/unit"
    sed 's|^ExecStart=/usr/bin/kvm-agent |ExecStart=/bin/true |' deploy/kvm-agent.service >"$tmp/unit/kvm-agent.service"
    verify_unit "$tmp/unit/kvm-agent.service"
    step "systemd-analyze security --offline=yes"
    systemd-analyze security --offline=yes "$tmp/unit/kvm-agent.service" 2>&1 | tail -n1 | sed 's/^/   /'
else
    note "systemd-analyze missing (package systemd not installed): unit not verified"
fi
for key in Type=notify NotifyAccess=main WatchdogSec=30s Restart=on-failure User=kvm-agent \
    ProtectSystem=strict MemoryDenyWriteExecute=yes 'CapabilityBoundingSet=$' \
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6$' StateDirectory=kvm-agent PrivateDevices=no; do
    grep -q "^$key" deploy/kvm-agent.service || fail "deploy/kvm-agent.service lacks $key"
done
# polkit, not the process's groups, decides access to libvirt; a group that does not exist fails the start.
if grep -q '^SupplementaryGroups=' deploy/kvm-agent.service; then fail "the unit names SupplementaryGroups="; fi
if grep -qE '^(Wants|Requires|BindsTo)=.*libvirt' deploy/kvm-agent.service; then
    fail "the unit pulls in libvirt: starting the agent would start a libvirtd stopped on purpose"
fi
ok "the unit has the expected settings"

# --- the package ------------------------------------------------------------------------------------
step "the .deb"
if [ -n "${KVM_AGENT_DEB:-}" ]; then
    deb=$KVM_AGENT_DEB
    note "testing $deb (KVM_AGENT_DEB)"
else
    deb=$(bash scripts/build-deb.sh --output "$tmp/dist")
fi
[ -f "$deb" ] || fail "no package at $deb"
dpkg-deb --info "$deb" | sed 's/^/   /'
dpkg-deb --contents "$deb" >"$tmp/contents"
echo "   $(wc -l <"$tmp/contents") entries, $(du -h "$deb" | cut -f1) package"
for path in ./usr/bin/kvm-agent ./usr/lib/systemd/system/kvm-agent.service ./etc/kvm-agent/remediation.yml \
    ./etc/kvm-agent/web.yml.example ./etc/default/kvm-agent ./usr/share/kvm-agent/demo-host.xml \
    ./usr/share/kvm-agent/prometheus/kvm-agent.yml ./usr/share/kvm-agent/prometheus/rules/kvm-agent.rules.yml \
    ./usr/share/kvm-agent/alertmanager/kvm-agent.yml ./usr/share/doc/kvm-agent/README.md \
    ./usr/share/polkit-1/rules.d/60-kvm-agent.rules \
    ./usr/share/doc/kvm-agent/copyright; do
    grep -q " $path\$" "$tmp/contents" || fail "the package lacks $path"
done
if grep -v ' root/root ' "$tmp/contents"; then fail "files not owned by root:root"; fi
ok "expected files, all root:root"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/kvm-agent/remediation.yml ||
    fail "remediation.yml is not a conffile"
ok "conffiles: $(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | tr '\n' ' ')"
# The binary's packed relocations need glibc 2.36 (GLIBC_ABI_DT_RELR), which dpkg-shlibdeps does not see.
libc_floor=$(dpkg-deb -f "$deb" Depends | sed -nE 's/.*libc6 \(>= ([^)]*)\).*/\1/p')
dpkg --compare-versions "${libc_floor:-0}" ge 2.36 || fail "Depends asks libc6 >= '$libc_floor', the binary needs 2.36"
ok "Depends: libc6 (>= $libc_floor), as the binary's packed relocations need"
mkdir "$tmp/extract"
dpkg-deb --extract "$deb" "$tmp/extract"
if ldd "$tmp/extract/usr/bin/kvm-agent" | grep -E 'swift|not found'; then
    fail "the packaged binary needs the Swift toolchain's libraries"
fi
# SwiftPM links with -rpath=$ORIGIN (harmless: /usr/bin holds no libraries); any other search path is not.
# shellcheck disable=SC2016 # a literal $ORIGIN
if readelf -d "$tmp/extract/usr/bin/kvm-agent" | grep -E 'R(UN)?PATH' | grep -v 'path: \[\$ORIGIN\]$'; then
    fail "the packaged binary searches libraries in the places above"
fi
ok "the binary needs no Swift toolchain: $(ldd "$tmp/extract/usr/bin/kvm-agent" | awk '{print $1}' | tr '\n' ' ')"
# MemoryDenyWriteExecute needs no text relocations and a non-executable stack.
if readelf -d "$tmp/extract/usr/bin/kvm-agent" | grep -q TEXTREL; then fail "the binary has text relocations"; fi
readelf -lW "$tmp/extract/usr/bin/kvm-agent" | grep GNU_STACK | grep -qv RWE || fail "the binary wants an executable stack"
ok "no text relocations, no executable stack"

step "dpkg -i"
installed=1
dpkg -i "$deb" 2>&1 | sed 's/^/   /'
dpkg-query -W -f='   ${Package} ${Version} ${Status}\n' kvm-agent
getent passwd kvm-agent >/dev/null || fail "no user kvm-agent"
getent group kvm-agent >/dev/null || fail "no group kvm-agent"
ok "user: $(id kvm-agent)"
[ "$(getent passwd kvm-agent | cut -d: -f6)" = /var/lib/kvm-agent ] || fail "home is not /var/lib/kvm-agent"
id -nG kvm-agent | tr ' ' '\n' | grep -qx kvm || fail "kvm-agent is not in group kvm"
ok "kvm-agent is in group kvm (/dev/kvm); libvirt access comes from the polkit rule, not a group"
[ "$(stat -c '%U:%G %a' /etc/kvm-agent/tokens)" = "root:kvm-agent 640" ] ||
    fail "/etc/kvm-agent/tokens is $(stat -c '%U:%G %a' /etc/kvm-agent/tokens)"
[ "$(stat -c '%U:%G %a' /var/lib/kvm-agent)" = "kvm-agent:kvm-agent 750" ] ||
    fail "/var/lib/kvm-agent is $(stat -c '%U:%G %a' /var/lib/kvm-agent)"
ok "/etc/kvm-agent/tokens root:kvm-agent 0640 (generated), /var/lib/kvm-agent kvm-agent 0750"
[ -L /etc/systemd/system/multi-user.target.wants/kvm-agent.service ] || fail "the unit was not enabled"
ok "kvm-agent.service enabled (deb-systemd-helper)"
dpkg-query -W -f='${Conffiles}\n' kvm-agent | grep -q ' /etc/kvm-agent/remediation.yml ' ||
    fail "dpkg does not list /etc/kvm-agent/remediation.yml as a conffile"
ok "dpkg lists the conffiles:$(dpkg-query -W -f='${Conffiles}' kvm-agent | awk '{printf " %s", $1}')"
step "promtool test rules, on the installed copies in /usr/share/kvm-agent/prometheus"
promtool test rules /usr/share/kvm-agent/prometheus/tests/kvm-agent.rules.test.yml | sed 's/^/   /'
if [ -n "$have_systemd_analyze" ]; then
    step "systemd-analyze verify /usr/lib/systemd/system/kvm-agent.service (installed, real ExecStart)"
    verify_unit /usr/lib/systemd/system/kvm-agent.service
fi

# As kvm-agent, with the unit's NoNewPrivileges and empty capability sets; HOME as systemd sets it.
# Every program in the chain execs the next, so a background start's $! is the agent's own PID.
as_agent=(setpriv --reuid=kvm-agent --regid=kvm-agent --init-groups --no-new-privs --inh-caps=-all
    --bounding-set=-all -- env -i HOME=/var/lib/kvm-agent PATH=/usr/bin:/bin LANG=C.UTF-8)
as_agent() { "${as_agent[@]}" "$@"; }
step "kvm-agent check-config /etc/kvm-agent/remediation.yml (as kvm-agent)"
as_agent /usr/bin/kvm-agent check-config /etc/kvm-agent/remediation.yml 2>&1 | sed 's/^/   /'
as_agent /usr/bin/kvm-agent --version | sed 's/^/   version: /'

# A test copy of the policy: its own tokens, state and audit files in a directory of kvm-agent's.
dir=$tmp/agent
install -d -o kvm-agent -g kvm-agent -m 0700 "$dir"
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf 'alertmanager webhook %s\n' "$token" >"$dir/tokens"
sed -e "s|^state_file:.*|state_file: $dir/state.json|" -e "s|^audit_log:.*|audit_log: $dir/audit.jsonl|" \
    -e "s|^tokens_file:.*|tokens_file: $dir/tokens|" /etc/kvm-agent/remediation.yml >"$dir/remediation.yml"
chown kvm-agent:kvm-agent "$dir/tokens" "$dir/remediation.yml"
chmod 0600 "$dir/tokens"
as_agent /usr/bin/kvm-agent check-config "$dir/remediation.yml" >/dev/null 2>&1 ||
    fail "the test policy does not validate: $(as_agent /usr/bin/kvm-agent check-config "$dir/remediation.yml" 2>&1)"

port=
for candidate in $(seq 19760 19800); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || fail "no free port in 19760-19800"

# Two of the unit's restrictions without systemd, put around the agent by a small wrapper:
# - MemoryDenyWriteExecute: prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN), kept across execve (Linux 6.3
#   and later; systemd 256 and later use the same);
# - RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6: a seccomp filter that fails socket() for any other
#   family with EAFNOSUPPORT, as systemd's does (x86_64 only here).
# Each is first checked to bite.
cat >"$tmp/restrict.py" <<'PY'
import ctypes, os, platform, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)

def mdwe():
    return libc.prctl(65, 1, 0, 0, 0) == 0  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN

def families():
    if platform.machine() != "x86_64":
        return False
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, refuse = 0x7FFF0000, 0x00050000 | 97  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EAFNOSUPPORT
    program = [
        (ld, 0, 0, 4), (jeq, 1, 0, 0xC000003E), (ret, 0, 0, allow),  # arch x86_64, else allow
        (ld, 0, 0, 0), (jeq, 0, 5, 41),  # socket(), else allow
        (ld, 0, 0, 16), (jeq, 3, 0, 1), (jeq, 2, 0, 2), (jeq, 1, 0, 10),  # AF_UNIX, AF_INET, AF_INET6
        (ret, 0, 0, refuse), (ret, 0, 0, allow),
    ]
    code = b"".join(struct.pack("HBBI", *i) for i in program)
    buffer = ctypes.create_string_buffer(code)
    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fprog = Program(len(program), ctypes.addressof(buffer))
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        return False
    return libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) == 0  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER

mode, wanted, command = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
if "mdwe" in wanted and not mdwe():
    sys.exit(77)
if "families" in wanted and not families():
    sys.exit(78)
if mode == "probe":
    import mmap
    if "mdwe" in wanted:
        try:
            mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
            sys.exit(1)
        except OSError:
            pass
    if "families" in wanted:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
        try:
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
            sys.exit(2)
        except OSError:
            pass
    sys.exit(0)
os.execv(command[0], command)
PY
chmod 0644 "$tmp/restrict.py"
restrictions=()
restricted=()
if [ -x /usr/bin/python3 ]; then
    for restriction in mdwe families; do
        rc=0
        "${as_agent[@]}" /usr/bin/python3 "$tmp/restrict.py" probe "$restriction" || rc=$?
        case $rc in
        0) restrictions+=("$restriction") ;;
        77) note "no PR_SET_MDWE in this kernel (Linux < 6.3): the agent runs without MemoryDenyWriteExecute" ;;
        78) note "no seccomp filter here (not x86_64, or refused): the agent runs without RestrictAddressFamilies" ;;
        *) fail "the $restriction restriction was set up but did not bite (status $rc)" ;;
        esac
    done
    if [ ${#restrictions[@]} -gt 0 ]; then
        restricted=(/usr/bin/python3 "$tmp/restrict.py" run "$(
            IFS=,
            echo "${restrictions[*]}"
        )")
    fi
else
    note "no /usr/bin/python3: the agent runs without MemoryDenyWriteExecute and RestrictAddressFamilies"
fi

start_agent() { # [WRAPPER...]: starts the installed agent as kvm-agent on the demo host, sets agent_pid
    "${as_agent[@]}" "$@" /usr/bin/kvm-agent --web.listen-address "127.0.0.1:$port" \
        --libvirt.uri test:///usr/share/kvm-agent/demo-host.xml --config.file "$dir/remediation.yml" \
        --collector.interval 1s >>"$tmp/agent.log" 2>&1 &
    agent_pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then return 0; fi
        kill -0 "$agent_pid" 2>/dev/null || fail "the agent exited at start: $(cat "$tmp/agent.log")"
        sleep 0.2
    done
    fail "the agent was not ready after 20 s: $(cat "$tmp/agent.log")"
}
# Stopped by SIGTERM, the agent shuts down gracefully and exits 0. (systemd would also take death by
# the signal, status 143, as a clean stop; the agent does better, and this keeps it so.)
stop_agent() { # [PID]: stops the agent (or PID, its process under strace) with SIGTERM
    local rc=0
    kill -TERM "${1:-$agent_pid}"
    for _ in $(seq 1 50); do
        kill -0 "$agent_pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -0 "$agent_pid" 2>/dev/null && fail "the agent did not stop within 10 s of SIGTERM"
    wait "$agent_pid" || rc=$?
    agent_pid=
    [ $rc = 0 ] || fail "the agent exited with status $rc after SIGTERM: $(tail -n5 "$tmp/agent.log")"
    ok "stopped by SIGTERM: status 0"
}

# Type=notify and WatchdogSec= without systemd: a socket in NOTIFY_SOCKET that records each message with
# its sender's PID (NotifyAccess=main takes only the main process's), and WATCHDOG_USEC at 2 s.
cat >"$tmp/notify.py" <<'PY'
import os, socket, struct, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        message, ancillary, _, _ = listener.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = [struct.unpack("iII", data[:12])[0] for level, kind, data in ancillary
               if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS]
        for line in message.decode(errors="replace").splitlines():
            out.write("%s %s\n" % (pid[0] if pid else "?", line))
PY
: >"$tmp/notify.log"
notify_env=()
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 "$tmp/notify.py" "$tmp/notify.sock" "$tmp/notify.log" &
    listener_pid=$!
    for _ in $(seq 1 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
    [ -S "$tmp/notify.sock" ] || fail "the notify listener did not start"
    notify_env=(NOTIFY_SOCKET="$tmp/notify.sock" WATCHDOG_USEC=2000000)
fi

step "start the installed agent as kvm-agent on 127.0.0.1:$port, restricted: ${restrictions[*]:-nothing}"
start_agent "${notify_env[@]}" "${restricted[@]}"
ok "ready (pid $agent_pid, user $(id -nu "$(awk '/^Uid:/ {print $2}' "/proc/$agent_pid/status")"), groups $(id -nG kvm-agent))"
if [ -n "$listener_pid" ]; then
    for _ in $(seq 1 50); do grep -q "^$agent_pid WATCHDOG=1\$" "$tmp/notify.log" && break; sleep 0.1; done
    grep -qx "$agent_pid READY=1" "$tmp/notify.log" || fail "no READY=1 from the agent's PID: $(cat "$tmp/notify.log")"
    grep -qx "$agent_pid WATCHDOG=1" "$tmp/notify.log" ||
        fail "no WATCHDOG=1 from the agent's PID within 5 s at WATCHDOG_USEC=2s: $(cat "$tmp/notify.log")"
    if grep -v "^$agent_pid " "$tmp/notify.log"; then fail "notifications from another PID (NotifyAccess=main)"; fi
    ok "sd_notify from the main PID: $(cut -d' ' -f2- "$tmp/notify.log" | sort | uniq -c | awk '{printf "%s x%s, ", $2, $1}')"
else
    note "no /usr/bin/python3: Type=notify and the watchdog not checked"
fi
curl -fsS "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
# Values: the agent's own renderer prints 1, swift-prometheus 1.0.
grep -qE '^kvm_libvirt_up 1(\.0)?$' "$tmp/metrics" || fail "no kvm_libvirt_up 1 in /metrics"
ok "kvm_libvirt_up 1"
grep -q '^kvm_domain_info{.*domain="vm_centos7"' "$tmp/metrics" || fail "demo domain vm_centos7 missing from /metrics"
ok "$(grep -c '^kvm_domain_info{' "$tmp/metrics") demo domains, vm_centos7 among them; $(grep -vc '^#' "$tmp/metrics") series"
grep -qE '^kvm_agent_remediation_dry_run 1(\.0)?$' "$tmp/metrics" || fail "no kvm_agent_remediation_dry_run 1"
ok "remediation on, in dry run"
grep '^kvm_host_kvm_device_usable' "$tmp/metrics" | sed 's/^/   /'
if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c %G /dev/kvm)" = kvm ]; then
    grep -qE '^kvm_host_kvm_device_usable 1(\.0)?$' "$tmp/metrics" ||
        fail "/dev/kvm is not usable for kvm-agent although it is in group kvm"
    ok "/dev/kvm usable as kvm-agent (group kvm)"
fi
promtool check metrics <"$tmp/metrics" || fail "promtool check metrics"
ok "promtool check metrics"

webhook() { # AUTH-HEADER INSTANCE: posts one KVMDomainNotRunning alert for vm_centos7
    curl -sS -o "$tmp/webhook.json" -w '%{http_code}' -H "$1" -H 'Content-Type: application/json' \
        --data "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"kvm-agent\",\"groupLabels\":{},
        \"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"http://am\",\"groupKey\":\"k\",
        \"truncatedAlerts\":0,\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"KVMDomainNotRunning\",
        \"severity\":\"critical\",\"domain\":\"vm_centos7\",\"instance\":\"$2\"},\"annotations\":{},
        \"startsAt\":\"2025-01-01T00:00:00Z\",\"endsAt\":\"0001-01-01T00:00:00Z\",\"generatorURL\":\"\",
        \"fingerprint\":\"f1\"}]}" "http://127.0.0.1:$port/api/v1/alertmanager"
}
step "POST /api/v1/alertmanager"
code=$(webhook 'Authorization: Bearer wrong' elsewhere.example.net:9760)
[ "$code" = 401 ] || fail "a wrong token got $code, not 401"
ok "wrong token: 401"
code=$(webhook "Authorization: Bearer $token" elsewhere.example.net:9760)
[ "$code" = 200 ] || fail "the webhook got $code: $(cat "$tmp/webhook.json")"
grep -q not_this_host "$tmp/webhook.json" || fail "an alert for another host was not skipped: $(cat "$tmp/webhook.json")"
ok "alert for another host: 200, not_this_host"
code=$(webhook "Authorization: Bearer $token" "$(cat /proc/sys/kernel/hostname):9760")
[ "$code" = 200 ] || fail "the webhook got $code: $(cat "$tmp/webhook.json")"
ok "alert for this host: 200 $(head -c 300 "$tmp/webhook.json")"
if [ ! -s "$dir/audit.jsonl" ] || [ "$(stat -c %U "$dir/audit.jsonl")" != kvm-agent ]; then
    fail "no audit log written by kvm-agent"
fi
ok "audit log written by kvm-agent ($(wc -l <"$dir/audit.jsonl") lines)"
notified_pid=$agent_pid
stop_agent
if [ -n "$listener_pid" ]; then
    grep -qx "$notified_pid STOPPING=1" "$tmp/notify.log" || fail "no STOPPING=1 on SIGTERM"
    ok "STOPPING=1 on SIGTERM"
    kill "$listener_pid"
    wait "$listener_pid" 2>/dev/null || true
    listener_pid=
fi

# The unit's SystemCallFilter cannot be tried without systemd: trace the agent through start, scrape,
# webhook and stop, and check every system call it made is in @system-service and not in @privileged.
if [ -n "$have_systemd_analyze" ] && command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    step "system calls of the agent against SystemCallFilter=@system-service ~@privileged"
    expand_filter() { # @GROUP: its system calls, nested groups expanded
        systemd-analyze syscall-filter "$1" | sed -n '2,$p' | sed 's/^ *//; /^#/d; /^$/d' | while read -r name; do
            case $name in @*) expand_filter "$name" ;; *) echo "$name" ;; esac
        done
    }
    expand_filter @system-service | sort -u >"$tmp/allowed"
    expand_filter @privileged | sort -u >"$tmp/privileged"
    start_agent strace -f -qq -o "$dir/strace.log"
    # SIGTERM (or SIGKILL) to strace would detach it and leave the agent running: signal the agent.
    traced_pid=$(ps -o pid= --ppid "$agent_pid" | tr -d ' ' | head -n1)
    [ -n "$traced_pid" ] || fail "no agent process under strace"
    curl -fsS -o /dev/null "http://127.0.0.1:$port/metrics"
    webhook "Authorization: Bearer $token" elsewhere.example.net:9760 >/dev/null
    sleep 2
    stop_agent "$traced_pid"
    traced_pid=
    # Only what the agent did after its execve (not env's).
    awk '/execve\("\/usr\/bin\/kvm-agent"/ { on = 1; next } on' "$dir/strace.log" |
        sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' | sort -u >"$tmp/used"
    outside=$(comm -23 "$tmp/used" "$tmp/allowed" | tr '\n' ' ')
    privileged=$(comm -12 "$tmp/used" "$tmp/privileged" | tr '\n' ' ')
    [ -z "$outside" ] || fail "system calls outside @system-service: $outside"
    [ -z "$privileged" ] || fail "system calls in @privileged: $privileged"
    ok "$(wc -l <"$tmp/used") distinct system calls, all allowed: $(tr '\n' ' ' <"$tmp/used")"
    # The socket families it asks for. glibc's getaddrinfo tries AF_NETLINK (to see which address families
    # the host has) and does without when refused, as under RestrictAddressFamilies= (the run above).
    families=$(awk '/execve\("\/usr\/bin\/kvm-agent"/ { on = 1; next } on' "$dir/strace.log" |
        sed -nE 's/^[0-9]+ +socket\((AF_[A-Z0-9]+),.*/\1/p' | sort -u | tr '\n' ' ')
    ok "socket families asked for: $families(only AF_UNIX, AF_INET, AF_INET6 granted by the unit)"
    # ProtectSystem=strict: files opened for writing (the state directory here stands for /var/lib/kvm-agent).
    writes=$(awk '/execve\("\/usr\/bin\/kvm-agent"/ { on = 1; next } on' "$dir/strace.log" |
        sed -nE 's/^[0-9]+ +(openat\(AT_FDCWD, |open\()"([^"]*)", ([A-Z_|]*(O_WRONLY|O_RDWR|O_CREAT)[A-Z_|]*).*/\2/p' |
        sort -u)
    while read -r path; do
        case $path in "" | "$dir"/* | /dev/*) ;; *) fail "the agent writes $path, read-only under ProtectSystem=strict" ;; esac
    done <<<"$writes"
    ok "files opened for writing: $(tr '\n' ' ' <<<"$writes")"
else
    note "strace (or ptrace) or systemd-analyze missing: SystemCallFilter not checked against a trace"
fi

# --- removal ----------------------------------------------------------------------------------------
step "dpkg --purge kvm-agent"
dpkg --purge kvm-agent 2>&1 | sed 's/^/   /'
installed=
for path in /usr/bin/kvm-agent /etc/kvm-agent /var/lib/kvm-agent /usr/lib/systemd/system/kvm-agent.service \
    /etc/systemd/system/multi-user.target.wants/kvm-agent.service; do
    if [ -e "$path" ] || [ -L "$path" ]; then fail "$path is left after the purge"; fi
done
ok "files, configuration, state and enablement gone"
if getent passwd kvm-agent >/dev/null; then fail "the purge left the user kvm-agent"; fi
if getent group kvm-agent >/dev/null; then fail "the purge left the group kvm-agent"; fi
ok "the purge removed the user and group kvm-agent"
machine_state >"$tmp/after"
diff -u "$tmp/before" "$tmp/after" || fail "the machine differs from before the test"
ok "the machine is as it was"
echo "test-deploy: all checks passed"
