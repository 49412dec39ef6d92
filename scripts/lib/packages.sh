# Sourced by the scripts here: install Debian packages that are missing, quietly, once.
# CI and new machines start without them; an existing machine pays only a few dpkg look-ups.

# ensure_packages TAG PACKAGE...
ensure_packages() {
    local tag=$1 missing=() p
    shift
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    export DEBIAN_FRONTEND=noninteractive
    # The package lists may be absent or stale on a fresh machine: update and retry once.
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    echo "$tag: installed ${missing[*]}" >&2
}

# What building the agent needs: libvirt's headers and pkg-config file, libsystemd's.
BUILD_PACKAGES=(pkg-config libvirt-dev libsystemd-dev libxml2-dev)
