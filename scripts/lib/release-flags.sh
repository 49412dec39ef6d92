# Sourced by scripts/build-deb.sh and bench/build.sh: how the shipped binary is built, so that every
# benchmark measures what the .deb installs.
# --static-swift-stdlib: the Swift runtime and Foundation go into the binary; only system libraries (libc,
#   libvirt, libsystemd, ...) stay dynamic.
# --no-export-dynamic: swiftc exports every symbol of an executable; nothing loads the agent's symbols, and
#   the tables cost 4.3 MB of the stripped binary.
# lld with pack-relative-relocs (DT_RELR, glibc 2.36, Debian 12 and later): the position-independent binary
#   has about 120,000 relative relocations. As RELA entries they take 2.9 MB, which ld.so reads at every start
#   and which then stay resident; packed they take 24 KB. Debian's gold cannot pack them.
# -function-sections and --symbol-ordering-file: each function in its own section, and the functions the agent
#   runs (kvm-agent.order, written by bench/order.sh) placed first and together, so that they share pages
#   instead of touching pages all over the 27 MB of code. A name the file lists that no longer exists is
#   skipped; the file only moves code.
# Usage: release_flags SCRATCH_PATH (sets the array release_flags)
release_flags() {
    local order
    order="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kvm-agent.order"
    release_flags=(-c release --static-swift-stdlib
        -Xswiftc -use-ld=lld -Xswiftc -Xfrontend -Xswiftc -function-sections
        -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs
        -Xlinker "--symbol-ordering-file=$order" -Xlinker --no-warn-symbol-ordering
        --scratch-path "$1" --product kvm-agent)
}
