# Sourced by scripts/test-systemd.sh: Debian containers booted with systemd as PID 1 (systemd-nspawn),
# each on an overlay over a cached root (scripts/systemd/rootfs.sh), so the cache is never written to.
#
#   ct_create NAME RELEASE   make NAME's overlay over RELEASE's root, and boot it
#   ct NAME CMD...           run CMD inside NAME (all its namespaces), as root
#   ct_reboot NAME           `systemctl reboot` inside, then boot the same overlay again
#   ct_destroy NAME          power off, unmount, delete (also run for every container at exit)
#
# The container has its own network namespace with only loopback (--private-network): libvirt's default
# network and the agent's port then cannot clash with the host's. Hence everything it installs is already
# in its apt cache. On these machines the host's PID 1 is not systemd, so there is no machined to
# register with (--register=no, --keep-unit), and the containers are driven with nsenter.

CT_DIR=${KVM_AGENT_CT_DIR:-/var/tmp/kvm-agent-containers}
declare -A CT_PID=()

# ct_create NAME RELEASE
ct_create() {
    local name=$1 release=$2 lower dir=$CT_DIR/$1
    lower=$(bash scripts/systemd/rootfs.sh "$release")
    ct_destroy "$name"
    mkdir -p "$dir/upper" "$dir/work" "$dir/root"
    mount -t overlay overlay -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
    ct_boot "$name"
}

# ct_boot NAME: boots NAME's root in the background and waits until systemd has finished starting up.
ct_boot() {
    local name=$1 dir=$CT_DIR/$1 leader state deadline
    local binds=()
    # /dev/kvm as the host has it (the root's kvm group has the host's number): the agent's
    # kvm_host_kvm_device_usable and the unit's DeviceAllow= are then checked for real.
    [ -c /dev/kvm ] && binds+=(--bind=/dev/kvm)
    # Debian 13's systemd refuses the host's hybrid cgroup layout: a pure cgroup v2 tree, as on a real
    # Debian 12 or 13 host, works for both.
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet --directory="$dir/root" --machine="$name" \
        --hostname=kvm-agent-test --register=no --keep-unit --private-network "${binds[@]}" \
        --boot systemd.firstboot=off >"$dir/console.log" 2>&1 </dev/null &
    CT_PID[$name]=$!
    deadline=$((SECONDS + 90))
    until leader=$(pgrep -P "${CT_PID[$name]}" -x systemd); do
        kill -0 "${CT_PID[$name]}" 2>/dev/null || { tail -n 20 "$dir/console.log" >&2; return 1; }
        [ $SECONDS -lt $deadline ] || { echo "container $name: no systemd after 90 s" >&2; return 1; }
        sleep 0.2
    done
    echo "$leader" >"$dir/leader"
    # is-system-running --wait returns once start-up is over: "running", or "degraded" when a unit
    # failed (the caller decides whether that matters). Until systemd listens on its private socket it
    # answers nothing, so ask again.
    deadline=$((SECONDS + 120))
    until state=$(timeout 120 nsenter --target="$leader" --all systemctl is-system-running --wait 2>/dev/null) ||
        [ "$state" = degraded ]; do
        [ $SECONDS -lt $deadline ] || { echo "container $name: system state '$state' after 120 s" >&2; return 1; }
        sleep 0.2
    done
}

# ct NAME CMD...: runs CMD in NAME as root, in the container's namespaces (mount, PID, network, IPC, UTS,
# cgroup), with the container's environment rather than the caller's.
ct() {
    local name=$1
    shift
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
        nsenter --target="$(cat "$CT_DIR/$name/leader")" --all "$@"
}

# ct_reboot NAME: reboots NAME the way an operator does; nspawn exits with 133 on a reboot, and the
# overlay (the container's disk) is booted again.
ct_reboot() {
    local name=$1 rc=0
    ct "$name" systemctl reboot
    timeout 90 tail --pid="${CT_PID[$name]}" -f /dev/null || { echo "container $name: reboot hangs" >&2; return 1; }
    wait "${CT_PID[$name]}" || rc=$?
    [ "$rc" = 133 ] || { echo "container $name: nspawn exited $rc on reboot, not 133" >&2; return 1; }
    ct_boot "$name"
}

# ct_destroy NAME: powers NAME off (killing it after 60 s) and removes its overlay.
ct_destroy() {
    local name=$1 dir=$CT_DIR/$1 pid=${CT_PID[$1]:-} leader
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        # SIGRTMIN+4 asks systemd to power off, bus or no bus. Killing nspawn alone would leave the
        # container running: its PID 1 goes, and the namespace with it.
        leader=$(pgrep -P "$pid" -x systemd || true)
        [ -n "$leader" ] && kill -s RTMIN+4 "$leader" 2>/dev/null
        if ! timeout 60 tail --pid="$pid" -f /dev/null; then
            [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    fi
    unset "CT_PID[$name]"
    if mountpoint -q "$dir/root" 2>/dev/null; then umount "$dir/root" || umount -l "$dir/root"; fi
    rm -rf --one-file-system "$dir"
    # nspawn leaves these on the host; the agent's tests decide "under systemd" by /run/systemd/system,
    # which stays untouched.
    rm -rf /run/systemd/nspawn /run/systemd/nspawn-*
}

ct_destroy_all() {
    local name
    for name in "${!CT_PID[@]}"; do ct_destroy "$name"; done
}
