# Sourced by the bench scripts: installs the build's packages and those named, starts libvirtd, builds the
# agent as the .deb ships it (exported as KVM_AGENT_BINARY for the Python scripts), and prints the machine
# and commit the figures come from.
# shellcheck source=SCRIPTDIR/../../scripts/lib/packages.sh
source scripts/lib/packages.sh

# Usage: bench_setup PURPOSE [PACKAGE...]
bench_setup() {
    local purpose=$1
    shift
    ensure_packages "$purpose" "${BUILD_PACKAGES[@]}" "$@"
    bash scripts/libvirtd-up.sh >&2
    export KVM_AGENT_BINARY
    KVM_AGENT_BINARY=$(bash bench/build.sh)
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)," \
        "$(. /etc/os-release; echo "$PRETTY_NAME"), libvirt $(virsh --version), $(uname -r)"
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD)"
}
