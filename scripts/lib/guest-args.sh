# Sourced by the guest scripts: reads NAME and OUTDIR from "$@" the same way for each.
# Sets NAME and OUTDIR; exits 2 with a usage line on bad arguments.
guest_args() {
    local tag=$1
    shift
    if [ $# -lt 1 ] || [ -z "$1" ]; then
        echo "usage: $tag NAME [OUTDIR]" >&2
        exit 2
    fi
    NAME=$1
    OUTDIR=${2:-/var/lib/libvirt/images/kvm-agent}
    case $NAME in
        *[!A-Za-z0-9._-]*) echo "$tag: NAME must match [A-Za-z0-9._-]+" >&2; exit 2 ;;
    esac
}
