#!/usr/bin/env bash
# Usage: scripts/test-systemd.sh [RELEASE...]   (default: bookworm trixie)
# The .deb under a real systemd, on Debian 12 (bookworm) and Debian 13 (trixie): for each release, boots
# containers with systemd as PID 1 (scripts/systemd/container.sh) and does what an operator does.
#
#   after      libvirt first, then the agent: READY, status line, /metrics, unit states from the real bus,
#              journal fields, sandbox, a zero-domain host that gets a guest and loses it, libvirtd restarted
#              and stopped, remediation stopped mid-action, the watchdog, systemctl reload, then socket
#              activation (through a restart, and on through the upgrade, a reboot, remove, purge)
#   before     the agent first, libvirt a while later: the agent connects without a restart; then libvirt
#              refuses it (a polkit rule) and lets it inside again
#   together   the order apt chose for an operator: the agent configured while libvirt is only unpacked
#
# Guests are real QEMU processes under TCG: these machines have no VT-x/AMD-V, so no KVM guest.
# Env: KVM_AGENT_SCENARIOS="after before together" (a subset, for work on one),
#      KVM_AGENT_DEB=path.deb (test this package; the upgrade installs a copy with a higher version),
#      KVM_AGENT_BINARY=path (build the package around this binary). Needs root. Prints figures with "figure:".
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=SCRIPTDIR/lib/report.sh
source scripts/lib/report.sh
[ "$(id -u)" = 0 ] || fail "run as root (containers, overlay mounts)"

# shellcheck source=SCRIPTDIR/lib/packages.sh
source scripts/lib/packages.sh
ensure_packages test-systemd systemd-container mmdebstrap debian-archive-keyring dpkg-dev
# shellcheck source=SCRIPTDIR/systemd/container.sh
source scripts/systemd/container.sh

releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(bookworm trixie)

work=$(mktemp -d)
cleanup() {
    local rc=$?
    ct_destroy_all
    rm -rf "$work"
    [ $rc = 0 ] || echo "test-systemd: FAILED" >&2
    exit $rc
}
trap cleanup EXIT

# --- the packages: the one under test, and the same with a higher version for the upgrade -------------
if [ -n "${KVM_AGENT_DEB:-}" ]; then
    deb=$KVM_AGENT_DEB
else
    deb=$(bash scripts/build-deb.sh --output "$work/dist")
fi
version=$(dpkg-deb -f "$deb" Version)
upgrade_version=$version+upgrade1
dpkg-deb -R "$deb" "$work/upgrade"
sed -i "s/^Version: .*/Version: $upgrade_version/" "$work/upgrade/DEBIAN/control"
upgrade_deb=$work/kvm-agent_${upgrade_version}.deb
dpkg-deb --build --root-owner-group -Zxz "$work/upgrade" "$upgrade_deb" >/dev/null

# --- helpers run against the container $C -----------------------------------------------------------
C=
inside() { ct "$C" "$@"; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND (inside the container) until it succeeds.
wait_for() {
    local limit=$1 what=$2 deadline=$((SECONDS + $1))
    shift 2
    until inside "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || fail "$what: not within ${limit} s"
        sleep 0.25
    done
}
prop() { inside systemctl show -p "$2" --value "$1"; }
status_is() { wait_for "$1" "StatusText '$2'" sh -c "systemctl show -p StatusText --value kvm-agent | grep -qF -- '$2'"; }
scrape() { inside curl -fsS --max-time 10 http://127.0.0.1:9760/metrics; }
metric() { scrape | grep -E "^$1( |\{)" || true; }
readyz() { inside curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://127.0.0.1:9760/readyz; }
install_libvirt() {
    inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download --no-install-recommends \
        libvirt-daemon-system libvirt-clients qemu-system-x86 >"$work/apt-$C.log" 2>&1 ||
        { tail -n 30 "$work/apt-$C.log" >&2; fail "apt-get install libvirt"; }
}
install_agent() { # install_agent PACKAGE: apt resolves its Depends from the cache, as `apt install ./x.deb` does
    cp "$1" "$CT_DIR/$C/root/var/cache/$(basename "$1")"
    # No --no-download here: with it, apt 2.6 and 3.0 fail on a local .deb ("Pathname to install is not
    # absolute"); the container has no network, so the cache is all it can use either way. No Recommends
    # (libvirt-daemon-system), so that the order of installation is the test's.
    inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "/var/cache/$(basename "$1")" >"$work/apt-agent-$C.log" 2>&1 ||
        { tail -n 30 "$work/apt-agent-$C.log" >&2; fail "apt-get install $(basename "$1")"; }
}
# A guest that needs nothing from outside: a boot sector that halts (SeaBIOS boots it, QEMU runs on).
define_guest() {
    inside sh -c 'printf "\372\364\353\375" >/var/lib/libvirt/images/halted.img &&
        truncate -s 510 /var/lib/libvirt/images/halted.img && printf "\125\252" >>/var/lib/libvirt/images/halted.img'
    inside sh -c 'cat >/var/lib/libvirt/images/halted.xml' <<'EOF'
<domain type="qemu"><name>halted</name><memory unit="MiB">32</memory><vcpu>1</vcpu>
<os><type arch="x86_64" machine="pc">hvm</type><boot dev="hd"/></os>
<devices><disk type="file" device="disk"><driver name="qemu" type="raw"/>
<source file="/var/lib/libvirt/images/halted.img"/><target dev="hda" bus="ide"/></disk></devices></domain>
EOF
    inside virsh -q -c qemu:///system define /var/lib/libvirt/images/halted.xml >/dev/null
}
agent_journal() { inside journalctl -u kvm-agent -b --no-pager -o cat "$@"; }
started_count() { inside journalctl -b --no-pager -o cat _PID=1 | grep -c 'Started kvm-agent.service' || true; }
webhook() { # webhook FINGERPRINT: a firing KVMDomainHung alert for guest "halted" from Alertmanager
    local token
    token=$(inside awk '$1 == "alertmanager" { print $3 }' /etc/kvm-agent/tokens)
    inside curl -sS --max-time 10 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        --data-binary @- http://127.0.0.1:9760/api/v1/alertmanager <<EOF
{"receiver":"kvm-agent","status":"firing","version":"4","groupKey":"{}:{alertname=\"KVMDomainHung\"}",
 "truncatedAlerts":0,"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
 "alerts":[{"status":"firing","labels":{"alertname":"KVMDomainHung","domain":"halted","action":"shutdown",
 "instance":"kvm-agent-test:9760"},"annotations":{},"startsAt":"2026-11-29T10:00:00Z",
 "endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom:9090","fingerprint":"$1"}]}
EOF
}

scenario_after() {
    local release=$1 pid
    C=after-$release
    step "$release, libvirt first: boot, install libvirt, then the agent"
    ct_create "$C" "$release"
    install_libvirt
    ok "$(inside dpkg-query -W -f='libvirt ${Version}' libvirt-daemon-system), $(inside dpkg-query -W -f='QEMU ${Version}' qemu-system-x86), $(inside systemctl --version | head -n1)"
    install_agent "$deb"
    wait_for 30 "kvm-agent active" systemctl is-active --quiet kvm-agent
    [ "$(inside systemctl is-enabled kvm-agent)" = enabled ] || fail "the package did not enable the unit"
    # Type=notify: systemd logs "Started" only on READY=1, which the agent sends once it listens.
    inside journalctl -b --no-pager -o short-monotonic _PID=1 + _SYSTEMD_UNIT=kvm-agent.service >"$work/j"
    grep -n 'listening on\|Started kvm-agent.service' "$work/j" | head -n2 | tail -n1 | grep -q 'Started' ||
        fail "systemd reported the unit started before the agent listened: $(grep -n 'listening on\|Started kvm' "$work/j")"
    ok "Type=$(prop kvm-agent Type): active after READY=1, once the agent listened"
    if agent_journal | grep -F 'thread priority'; then fail "libdispatch's thread-priority line is back"; fi

    step "$release: a host with no guests, then one defined, started, and gone again"
    status_is 30 "connected, 0 of 0 domains running"
    [ "$(readyz)" = 200 ] || fail "/readyz is $(readyz) on a connected host with no domains"
    metric 'kvm_agent_collections_total' | grep -q 'result="success"} [1-9]' || fail "no successful pass with zero domains"
    ok "zero domains: status 'connected, 0 of 0 domains running', /readyz 200, passes succeed"
    define_guest
    status_is 15 "connected, 0 of 1 domains running"
    inside virsh -q -c qemu:///system start halted >/dev/null
    status_is 15 "connected, 1 of 1 domains running"
    metric kvm_domain_state | grep -q 'domain="halted",state="running"} 1' || fail "kvm_domain_state: $(metric kvm_domain_state)"
    ok "guest 'halted' (QEMU, TCG) defined then started: $(prop kvm-agent StatusText)"
    inside sh -c 'journalctl -u kvm-agent -b -o json --no-pager DOMAIN=halted EVENT=started' >"$work/event.json"
    python3 - "$work/event.json" <<'EOF' || fail "no journal record with DOMAIN, EVENT, PRIORITY for the start"
import json, sys
records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
assert any(r.get("DOMAIN") == "halted" and r.get("PRIORITY") == "6" and r.get("MESSAGE") == "domain lifecycle event"
           for r in records), records
EOF
    ok "journal: the lifecycle event carries DOMAIN=halted EVENT=started PRIORITY=6"

    step "$release: unit states from the real system bus"
    metric kvm_host_service_active >"$work/services"
    grep -q 'unit="libvirtd.service"} 1' "$work/services" || fail "libvirtd.service: $(cat "$work/services")"
    grep -q 'unit="libvirtd.socket"} 1' "$work/services" || fail "libvirtd.socket: $(cat "$work/services")"
    grep -q 'unit="virtlogd.socket"} 1' "$work/services" || fail "virtlogd.socket: $(cat "$work/services")"
    if grep -q virtqemud "$work/services"; then fail "virtqemud reported where it does not exist"; fi
    metric kvm_host_service_enabled | grep -q 'unit="libvirtd.service"} 1' || fail "libvirtd.service not enabled"
    ok "kvm_host_service_active: $(sed -E 's/.*unit="([^"]+)"} (.)/\1=\2/' "$work/services" | tr '\n' ' ')"

    step "$release: the sandbox under the real service manager"
    pid=$(prop kvm-agent MainPID)
    [ "$(inside ps -o user= -p "$pid")" = kvm-agent ] || fail "the agent runs as $(inside ps -o user= -p "$pid")"
    # /dev/kvm is passed in where the host has it (container.sh); without it the agent must say 0.
    if [ -c /dev/kvm ]; then expected=1; else expected=0; fi
    metric kvm_host_kvm_device_usable | grep -q " $expected\$" ||
        fail "kvm_host_kvm_device_usable is not $expected: $(metric kvm_host_kvm_device_usable)"
    metric kvm_host_kvm_modules_loaded >/dev/null
    # Files the agent's user owns outside its state directory would mean it wrote elsewhere.
    owned=$(inside find / -xdev -user kvm-agent -not -path '/var/lib/kvm-agent*' -print 2>/dev/null || true)
    [ -z "$owned" ] || fail "files owned by kvm-agent outside /var/lib/kvm-agent: $owned"
    inside nsenter -t "$pid" -m sh -c 'touch /etc/kvm-agent-probe' 2>/dev/null && fail "/etc is writable inside the agent's namespace"
    score=$(inside systemd-analyze security kvm-agent --no-pager | tail -n1)
    ok "user kvm-agent, kvm_host_kvm_device_usable $expected, /etc read-only, writes only under /var/lib/kvm-agent"
    figure "$release systemd-analyze security kvm-agent: $score"
    # Under this sandbox (user kvm-agent, no capability, @system-service, ProtectProc=invisible) the agent still
    # reads its own smaps and gives back its start-up pages after its second pass.
    wait_for 60 "start-up pages given back" sh -c "journalctl -u kvm-agent -b -o cat | grep -q 'gave back start-up pages'"
    # The figures are journal fields of their own (MAPPINGS=, RESIDENT_BEFORE_MIB=, SECONDS=), not in MESSAGE.
    pages=$(agent_journal -o verbose 'MESSAGE=gave back start-up pages' |
        grep -E '^ *(MAPPINGS|RESIDENT_BEFORE_MIB|SECONDS)=' | tr -s ' \n' ' ' || true)
    echo "$pages" | grep -Eq 'MAPPINGS=[0-9]{2,}' || fail "start-up pages: '$pages'"
    figure "$release start-up pages:$pages; then $(inside grep -E '^(RssAnon|RssFile)' "/proc/$pid/status" | tr -s ' \t\n' ' ')"

    step "$release: libvirtd restarted, then stopped: the agent reconnects, systemd leaves it alone"
    inside systemctl restart libvirtd.service
    status_is 30 "connected, 1 of 1 domains running"
    # Sockets first: a connection the agent makes through a socket still listening would start the service
    # again, and a socket refuses to start while its service runs.
    inside systemctl stop libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket
    inside systemctl stop libvirtd.service
    status_is 15 "unreachable"
    [ "$(readyz)" = 503 ] || fail "/readyz is $(readyz) with libvirtd stopped"
    inside systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket ||
        { inside journalctl -b -n 40 --no-pager >&2; fail "starting libvirtd's sockets again"; }
    status_is 30 "connected, 1 of 1 domains running"
    [ "$(prop kvm-agent MainPID)" = "$pid" ] && [ "$(prop kvm-agent NRestarts)" = 0 ] ||
        fail "the agent was restarted (MainPID $(prop kvm-agent MainPID), NRestarts $(prop kvm-agent NRestarts))"
    ok "same process throughout, NRestarts 0; back to 'connected' once the socket answered"

    step "$release: remediation, and systemctl stop with an action in flight"
    # The operator's edits of the conffile: act for real, on this host's guest 'halted'.
    inside sed -i -e 's/^dry_run: true/dry_run: false/' -e 's/^  names: \[\]/  names: [kvm-agent-test]/' \
        -e 's/^  names: \["web-\*", "vm_centos7"\]/  names: ["halted"]/' /etc/kvm-agent/remediation.yml
    inside kvm-agent check-config /etc/kvm-agent/remediation.yml >/dev/null || fail "the edited policy does not check"
    inside systemctl restart kvm-agent
    status_is 30 "connected, 1 of 1 domains running"
    webhook a1b2c3d4e5f60001 >"$work/webhook.json"
    grep -q '"queued"' "$work/webhook.json" || fail "the webhook was not queued: $(cat "$work/webhook.json")"
    # The guest ignores ACPI: the shutdown waits for its 2 min timeout, so it is in flight now.
    wait_for 15 "action in flight" sh -c "journalctl -u kvm-agent -b -o cat ACTION=shutdown | grep -q 'action started'"
    inside journalctl -u kvm-agent -b -o json --no-pager ALERT_FINGERPRINT=a1b2c3d4e5f60001 >"$work/decision.json"
    python3 - "$work/decision.json" <<'EOF' || fail "no journal record with ACTION, DOMAIN, ALERT_FINGERPRINT, PRIORITY"
import json, sys
records = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
assert any(r.get("ACTION") == "shutdown" and r.get("DOMAIN") == "halted" and "PRIORITY" in r for r in records), records
EOF
    ok "journal: the decision carries ACTION=shutdown DOMAIN=halted ALERT_FINGERPRINT PRIORITY"
    local before=$SECONDS
    inside systemctl stop kvm-agent
    figure "$release systemctl stop with an action in flight: $((SECONDS - before)) s (TimeoutStopSec $(prop kvm-agent TimeoutStopUSec))"
    [ "$(prop kvm-agent Result)" = success ] || fail "stop: Result=$(prop kvm-agent Result)"
    inside tail -n 1 /var/lib/kvm-agent/audit.jsonl >"$work/audit"
    grep '"event":"outcome"' "$work/audit" | grep -q '"result":"interrupted"' ||
        fail "the action in flight has no outcome in the audit log: $(cat "$work/audit")"
    ok "clean stop (Result=success, status $(prop kvm-agent ExecMainStatus)), the action audited as interrupted as the agent stopped"
    inside systemctl start kvm-agent
    status_is 30 "connected"

    step "$release: the watchdog"
    pid=$(prop kvm-agent MainPID)
    inside kill -STOP "$pid"
    before=$SECONDS
    wait_for 90 "systemd restarting a frozen agent" sh -c "[ \"\$(systemctl show -p NRestarts --value kvm-agent)\" = 1 ]"
    wait_for 30 "the restarted agent active" systemctl is-active --quiet kvm-agent
    [ "$(prop kvm-agent MainPID)" != "$pid" ] || fail "same MainPID after the watchdog"
    agent_journal -p warning | grep -q . || true
    figure "$release watchdog: frozen agent restarted after $((SECONDS - before)) s (WatchdogSec $(prop kvm-agent WatchdogUSec)), NRestarts 1"
    status_is 30 "connected, 1 of 1 domains running"

    step "$release: systemctl reload takes a new token without a restart"
    local token code pid_before
    pid_before=$(prop kvm-agent MainPID)
    token=$(inside sh -c 'od -An -N16 -tx1 /dev/urandom | tr -d " \n"')
    code() { inside curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $1" http://127.0.0.1:9760/api/v1/actions; }
    [ "$(code "$token")" = 401 ] || fail "a token not yet in the file: $(code "$token"), not 401"
    inside sh -c "echo 'rotated api $token' >>/etc/kvm-agent/tokens"
    inside systemctl reload kvm-agent
    wait_for 15 "the new token accepted after systemctl reload" sh -c \
        "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Authorization: Bearer $token' http://127.0.0.1:9760/api/v1/actions)\" = 200 ]"
    [ "$(prop kvm-agent MainPID)" = "$pid_before" ] || fail "systemctl reload restarted the agent"
    metric 'kvm_agent_config_last_reload_successful' | grep -q 'file="tokens"} 1' || fail "no successful tokens reload: $(metric kvm_agent_config_last_reload_successful)"
    ok "the new token 200 after systemctl reload (ExecReload SIGHUP), same MainPID $pid_before"

    step "$release: socket activation (kvm-agent.socket): no refused scrape through a restart"
    # through_restart FILE: /healthz in a loop while the agent restarts; a line per request: the HTTP code (000:
    # no answer), curl's exit code (7: refused, 28: timed out, 52: empty reply, 56: reset) and its time.
    through_restart() {
        inside sh -c "rm -f $1 /tmp/restarted; while [ ! -e /tmp/restarted ]; do
            curl -s -o /dev/null -w '%{http_code} %{exitcode} %{time_total}\n' --max-time 10 \
                http://127.0.0.1:9760/healthz >>$1; done" &
        local loop=$!
        sleep 1
        inside systemctl restart kvm-agent
        status_is 30 "connected"
        inside touch /tmp/restarted
        wait "$loop"
    }
    through_restart /tmp/own
    figure "$release without the socket: $(inside sh -c 'grep -vc "^200 " /tmp/own || true') of $(inside sh -c 'wc -l </tmp/own') requests through a restart not answered"
    inside systemctl stop kvm-agent
    inside sh -c 'echo KVM_AGENT_ARGS=--web.systemd-socket >>/etc/default/kvm-agent'
    inside systemctl enable --now kvm-agent.socket >/dev/null 2>&1 || fail "systemctl enable --now kvm-agent.socket"
    inside systemctl start kvm-agent
    status_is 30 "connected"
    agent_journal | grep -q 'listening on systemd socket web' || fail "the agent did not take the socket from systemd"
    local before=$SECONDS total refused
    through_restart /tmp/scrapes
    total=$(inside sh -c 'wc -l </tmp/scrapes')
    refused=$(inside sh -c 'grep -vc "^200 " /tmp/scrapes || true')
    [ "$refused" = 0 ] || fail "$refused of $total requests through the restart were not answered 200" \
        "(HTTP code, curl exit code, seconds): $(inside grep -v '^200 ' /tmp/scrapes)" \
        "; the agent's journal: $(agent_journal -n 30 -o short-precise)"
    figure "$release socket activation: $total requests through a restart ($((SECONDS - before)) s), all 200"
    status_is 30 "connected, 1 of 1 domains running"
    ok "the agent served on systemd's socket; it stays socket-activated through the upgrade, reboot and purge"

    step "$release: upgrade to $upgrade_version over the running agent"
    local tokens state audit_lines starts
    tokens=$(inside sha256sum /etc/kvm-agent/tokens)
    state=$(inside cat /var/lib/kvm-agent/remediation-state.json)
    audit_lines=$(inside sh -c 'wc -l </var/lib/kvm-agent/audit.jsonl')
    starts=$(started_count)
    pid=$(prop kvm-agent MainPID)
    install_agent "$upgrade_deb"
    [ "$(inside dpkg-query -W -f='${Version}' kvm-agent)" = "$upgrade_version" ] || fail "not upgraded"
    inside grep -q '^dry_run: false' /etc/kvm-agent/remediation.yml || fail "the edited remediation.yml was replaced"
    inside grep -q -- '--web.systemd-socket' /etc/default/kvm-agent || fail "the edited /etc/default/kvm-agent was replaced"
    [ "$(inside sha256sum /etc/kvm-agent/tokens)" = "$tokens" ] || fail "the tokens changed"
    inside grep -qF "$(printf '%s' "$state" | head -c 40)" /var/lib/kvm-agent/remediation-state.json || fail "the state file changed"
    [ "$(inside sh -c 'wc -l </var/lib/kvm-agent/audit.jsonl')" -ge "$audit_lines" ] || fail "the audit log lost lines"
    wait_for 30 "kvm-agent active after the upgrade" systemctl is-active --quiet kvm-agent
    [ "$(started_count)" = $((starts + 1)) ] || fail "the service started $(($(started_count) - starts)) times in the upgrade, not once"
    [ "$(prop kvm-agent MainPID)" != "$pid" ] || fail "the upgrade did not restart the agent"
    status_is 30 "connected, 1 of 1 domains running"
    webhook a1b2c3d4e5f60001 >"$work/again.json"
    grep -q '"duplicate"' "$work/again.json" || fail "the alert seen before the upgrade was not a duplicate: $(cat "$work/again.json")"
    ok "conffile edits, tokens, state and audit log kept; restarted once; the alert from before is a duplicate"

    step "$release: reboot"
    ct_reboot "$C"
    wait_for 60 "kvm-agent active after the reboot" systemctl is-active --quiet kvm-agent
    local agent_at libvirt_at
    agent_at=$(prop kvm-agent ExecMainStartTimestampMonotonic)
    libvirt_at=$(prop libvirtd.socket ActiveEnterTimestampMonotonic)
    [ "$agent_at" -gt "$libvirt_at" ] || fail "the agent started ($agent_at) before libvirtd.socket ($libvirt_at)"
    status_is 30 "connected, 0 of 1 domains running"
    [ "$(prop kvm-agent.socket ActiveState)" = active ] || fail "kvm-agent.socket not active after the reboot"
    agent_journal | grep -q 'listening on systemd socket web' || fail "after the reboot the agent did not take systemd's socket"
    ok "up after the reboot, after libvirtd.socket, with no manual step: $(prop kvm-agent StatusText)"
    inside virsh -q -c qemu:///system undefine halted >/dev/null
    status_is 15 "connected, 0 of 0 domains running"
    [ "$(readyz)" = 200 ] || fail "/readyz is $(readyz) once the last domain is gone"
    ok "the guest undefined: back to 'connected, 0 of 0 domains running', /readyz 200"

    step "$release: apt remove, then apt purge"
    inside env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q kvm-agent >/dev/null 2>&1
    inside test -f /etc/kvm-agent/remediation.yml -a -f /etc/kvm-agent/tokens -a -f /var/lib/kvm-agent/remediation-state.json ||
        fail "apt remove lost configuration or state"
    inside systemctl is-active --quiet kvm-agent && fail "still running after apt remove"
    inside systemctl is-active --quiet kvm-agent.socket && fail "kvm-agent.socket still listening after apt remove"
    inside env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q kvm-agent >/dev/null 2>&1
    inside test -e /etc/kvm-agent -o -e /var/lib/kvm-agent && fail "apt purge left /etc/kvm-agent or /var/lib/kvm-agent"
    inside getent passwd kvm-agent >/dev/null && fail "apt purge left the user kvm-agent"
    inside test -L /etc/systemd/system/sockets.target.wants/kvm-agent.socket && fail "apt purge left kvm-agent.socket enabled"
    ok "remove kept configuration and state; purge removed them and the user"
    ct_destroy "$C"
}

scenario_before() {
    local release=$1 pid
    C=before-$release
    step "$release, the agent first, libvirt later"
    ct_create "$C" "$release"
    install_agent "$deb"
    wait_for 30 "kvm-agent active without libvirt" systemctl is-active --quiet kvm-agent
    status_is 15 "unreachable"
    [ "$(readyz)" = 503 ] || fail "/readyz is $(readyz) with no libvirt"
    pid=$(prop kvm-agent MainPID)
    ok "serving without libvirt: $(prop kvm-agent StatusText); /readyz 503"
    install_libvirt
    status_is 30 "connected, 0 of 0 domains running"
    [ "$(prop kvm-agent MainPID)" = "$pid" ] && [ "$(prop kvm-agent NRestarts)" = 0 ] ||
        fail "the agent was restarted to connect"
    inside runuser -u kvm-agent -- virsh -q -c qemu:///system list --all >/dev/null || fail "virsh as kvm-agent refused"
    ok "connected on its own once libvirt was installed (same process); virsh as kvm-agent works"

    step "$release: libvirt refuses the agent (a polkit rule), then lets it in again"
    inside sh -c 'cat >/etc/polkit-1/rules.d/10-kvm-agent-deny.rules' <<'EOF'
polkit.addRule(function (action, subject) {
    if (action.id == "org.libvirt.unix.manage" && subject.user == "kvm-agent") { return polkit.Result.NO; }
});
EOF
    wait_for 15 "polkitd reading the deny rule" sh -c '! runuser -u kvm-agent -- virsh -q -c qemu:///system list >/dev/null 2>&1'
    inside systemctl restart libvirtd.service
    status_is 30 "permission"
    inside curl -s http://127.0.0.1:9760/readyz >"$work/readyz"
    grep -q polkit "$work/readyz" || fail "/readyz does not say what to do: $(cat "$work/readyz")"
    # Several refused attempts (the agent counts each), one warning.
    wait_for 30 "three refused attempts" sh -c \
        'curl -fsS http://127.0.0.1:9760/metrics | grep -qE "^kvm_agent_libvirt_connect_failures_total\{reason=\"permission_denied\"\} ([3-9]|[1-9][0-9]+)$"'
    [ "$(agent_journal -p warning | grep -c 'polkit')" = 1 ] || fail "not one warning: $(agent_journal -p warning)"
    ok "status '$(prop kvm-agent StatusText)', /readyz 503 naming polkit, one warning over several attempts"
    inside rm /etc/polkit-1/rules.d/10-kvm-agent-deny.rules
    status_is 30 "connected, 0 of 0 domains running"
    [ "$(prop kvm-agent MainPID)" = "$pid" ] || fail "the agent was restarted to recover"
    ok "access granted again: connected on the next attempt, same process"
    ct_destroy "$C"
}

scenario_together() {
    local release=$1
    C=together-$release
    step "$release, installed together, the agent configured before libvirt's maintainer scripts ran"
    ct_create "$C" "$release"
    # apt configures libvirt0 (the agent's dependency) and may configure the agent before the daemon
    # packages, which make group libvirt and start polkitd: force exactly that order.
    inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-download --no-install-recommends libvirt0 >/dev/null 2>&1
    inside sh -c 'cd /var/cache/apt/archives && for f in *.deb; do
        p=$(dpkg-deb -f "$f" Package); dpkg-query -W -f="\${Status}" "$p" 2>/dev/null | grep -q "ok installed" || echo "$f";
        done >/tmp/unpack' >/dev/null
    inside sh -c 'cd /var/cache/apt/archives && xargs dpkg --unpack </tmp/unpack' >/dev/null 2>&1 || fail "dpkg --unpack libvirt"
    inside getent group libvirt >/dev/null && fail "group libvirt exists already: the order under test did not happen"
    cp "$deb" "$CT_DIR/$C/root/var/cache/"
    inside env DEBIAN_FRONTEND=noninteractive dpkg -i "/var/cache/$(basename "$deb")" >/dev/null 2>&1 || fail "dpkg -i the agent"
    inside env DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null 2>&1 || fail "dpkg --configure -a"
    inside systemctl start libvirtd.socket
    status_is 45 "connected, 0 of 0 domains running"
    [ "$(prop kvm-agent NRestarts)" = 0 ] || fail "NRestarts $(prop kvm-agent NRestarts)"
    ok "connected with no adduser and no restart: $(prop kvm-agent StatusText)"
    ct_destroy "$C"
}

for release in "${releases[@]}"; do
    start=$SECONDS
    for scenario in ${KVM_AGENT_SCENARIOS:-after before together}; do "scenario_$scenario" "$release"; done
    figure "$release: all scenarios in $((SECONDS - start)) s"
done
echo "test-systemd: all checks passed"
