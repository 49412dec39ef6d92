#!/usr/bin/env bash
# Usage: scripts/build-deb.sh [--binary PATH] [--output DIR] [--version VERSION]
# Builds kvm-agent_VERSION_ARCH.deb: the agent (Swift runtime linked in statically, so the host needs no
# Swift toolchain), its systemd unit, the example policy as a conffile, and the Prometheus and
# Alertmanager examples. Prints the path of the package on stdout.
#
#   --binary PATH   use an already built kvm-agent (env KVM_AGENT_BINARY); it must not link /opt/swift
#   --output DIR    where the .deb goes (env OUTPUT_DIR; default .build-deb/dist)
#   --version V     package version (env KVM_AGENT_VERSION; default: what `kvm-agent --version` says)
# Env: KVM_AGENT_SCRATCH (swift build --scratch-path, default .build-deb), KVM_AGENT_STRIP=0 (keep symbols),
#      DEB_MAINTAINER.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

binary=${KVM_AGENT_BINARY:-}
output=${OUTPUT_DIR:-$root/.build-deb/dist}
version=${KVM_AGENT_VERSION:-}
while [ $# -gt 0 ]; do
    case $1 in
    --binary) binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --output) output=$2; shift 2 ;;
    --output=*) output=${1#*=}; shift ;;
    --version) version=$2; shift 2 ;;
    --version=*) version=${1#*=}; shift ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 64 ;;
    esac
done

say() { echo "build-deb: $*" >&2; }
fail() { say "error: $*"; exit 1; }

# shellcheck source=SCRIPTDIR/lib/packages.sh
source scripts/lib/packages.sh
# dpkg-dev: dpkg-shlibdeps computes Depends from the binary's libraries.
ensure_packages build-deb dpkg-dev

if [ -z "$binary" ]; then
    ensure_packages build-deb "${BUILD_PACKAGES[@]}"
    scratch=${KVM_AGENT_SCRATCH:-$root/.build-deb}
    # shellcheck source=SCRIPTDIR/lib/release-flags.sh
    source scripts/lib/release-flags.sh
    release_flags "$scratch"
    flags=("${release_flags[@]}")
    say "swift build ${flags[*]}"
    swift build "${flags[@]}" >&2
    binary=$(swift build "${flags[@]}" --show-bin-path)/kvm-agent
fi
[ -x "$binary" ] || fail "$binary is not an executable"

# Nothing may come from the Swift toolchain, and every library must resolve.
libs=$(ldd "$binary")
if grep -E '/opt/swift|/usr/share/swift|swift-[0-9]|libswift|libFoundation|libdispatch|not found' <<<"$libs" >&2; then
    fail "$binary needs the libraries above (build with --static-swift-stdlib)"
fi

[ -n "$version" ] || version=$("$binary" --version 2>/dev/null | head -n1 | tr -d '[:space:]') || true
[ -n "$version" ] || version=0.1.0
[[ $version =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || fail "version '$version' is not a Debian version"
arch=$(dpkg --print-architecture)
package=kvm-agent_${version}_${arch}.deb

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/root
mkdir -p "$stage/DEBIAN"

# put MODE SOURCE DEST: copy one file into the package tree.
put() { install -D -m "$1" "$2" "$stage/$3"; }

put 0755 "$binary" usr/bin/kvm-agent
if [ "${KVM_AGENT_STRIP:-1}" != 0 ]; then
    strip --strip-unneeded "$stage/usr/bin/kvm-agent"
fi
# /usr/lib/systemd/system: where Debian 13 wants units (merged /usr); systemd on Debian 12 reads it too.
put 0644 deploy/kvm-agent.service usr/lib/systemd/system/kvm-agent.service
put 0644 deploy/kvm-agent.socket usr/lib/systemd/system/kvm-agent.socket
put 0644 deploy/polkit/60-kvm-agent.rules usr/share/polkit-1/rules.d/60-kvm-agent.rules
put 0644 deploy/kvm-agent.default etc/default/kvm-agent
put 0644 deploy/remediation.yml etc/kvm-agent/remediation.yml
put 0644 deploy/web.yml.example etc/kvm-agent/web.yml.example
put 0644 deploy/prometheus/kvm-agent.yml usr/share/kvm-agent/prometheus/kvm-agent.yml
put 0644 deploy/prometheus/rules/kvm-agent.rules.yml usr/share/kvm-agent/prometheus/rules/kvm-agent.rules.yml
put 0644 deploy/prometheus/tests/kvm-agent.rules.test.yml \
    usr/share/kvm-agent/prometheus/tests/kvm-agent.rules.test.yml
put 0644 deploy/alertmanager/kvm-agent.yml usr/share/kvm-agent/alertmanager/kvm-agent.yml
put 0644 demo/demo-host.xml usr/share/kvm-agent/demo-host.xml
if [ -d dashboards ]; then
    mkdir -p "$stage/usr/share/kvm-agent/dashboards"
    cp -R dashboards/. "$stage/usr/share/kvm-agent/dashboards/"
    find "$stage/usr/share/kvm-agent/dashboards" -type f -exec chmod 0644 {} +
else
    say "no dashboards/ folder: none packaged"
fi
doc=usr/share/doc/kvm-agent
put 0644 README.md "$doc/README.md"
put 0644 deploy/README.md "$doc/README.deploy.md"
put 0644 deploy/tokens.example "$doc/examples/tokens.example"
put 0644 deploy/remediation.yml "$doc/examples/remediation.yml"

# copyright: the agent, and the packages statically linked into it.
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: kvm-agent"
    echo "Comment: The binary links the Swift runtime and these Swift packages statically; their"
    echo " licence texts are in the packages' sources (Package.resolved names the versions)."
    echo
    echo "Files: *"
    echo "Copyright: the kvm-agent authors"
    if [ -f LICENSE ]; then
        echo "License: see below"
        sed 's/^$/./; s/^/ /' LICENSE
    else
        echo "License: not yet stated (the source tree has no LICENSE file)"
    fi
    echo
    echo "Files: Swift runtime, Foundation, Dispatch (statically linked)"
    echo "Copyright: Apple Inc. and the Swift project authors"
    echo "License: Apache-2.0 with Runtime Library Exception"
    scratch_checkouts=${KVM_AGENT_SCRATCH:-$root/.build-deb}/checkouts
    if [ -d "$scratch_checkouts" ]; then
        for dir in "$scratch_checkouts"/*/; do
            name=$(basename "$dir")
            licence=$(find "$dir" -maxdepth 1 -iname 'LICENSE*' -print -quit)
            first=$([ -n "$licence" ] && grep -m1 -E '[A-Za-z]' "$licence" | sed 's/^ *//' || echo unknown)
            echo
            echo "Files: $name (Swift package, statically linked)"
            echo "License: $first"
        done
    fi
} >"$stage/$doc/copyright"
chmod 0644 "$stage/$doc/copyright"
{
    echo "kvm-agent ($version) unstable; urgency=medium"
    echo
    echo "  * Package built by scripts/build-deb.sh."
    echo
    echo " -- ${DEB_MAINTAINER:-kvm-agent maintainers <root@localhost>}  $(date -R)"
} | gzip -9n >"$stage/$doc/changelog.gz"
chmod 0644 "$stage/$doc/changelog.gz"

for script in postinst prerm postrm; do
    install -m 0755 "deploy/debian/$script" "$stage/DEBIAN/$script"
done
printf '%s\n' /etc/default/kvm-agent /etc/kvm-agent/remediation.yml /etc/kvm-agent/web.yml.example \
    >"$stage/DEBIAN/conffiles"

# Depends from the libraries the binary links (libc6, libvirt0, libsystemd0, ...), with the versions
# their symbols files ask for; dpkg-shlibdeps wants a debian/control to read.
mkdir -p "$work/src/debian"
printf 'Source: kvm-agent\n\nPackage: kvm-agent\nArchitecture: any\n' >"$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O "$stage/usr/bin/kvm-agent" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || fail "dpkg-shlibdeps found no dependencies"
# Packed relative relocations (scripts/lib/release-flags.sh) need glibc 2.36. The binary names the version
# node GLIBC_ABI_DT_RELR, which dpkg-shlibdeps does not count, so on an older libc the package would install
# and the agent fail to start; the floor is raised here instead.
if readelf -V "$stage/usr/bin/kvm-agent" | grep -q GLIBC_ABI_DT_RELR; then
    libc=$(sed -nE 's/.*libc6 \(>= ([^)]*)\).*/\1/p' <<<"$shlibs")
    [ -n "$libc" ] || fail "Depends names no libc6 version: $shlibs"
    if dpkg --compare-versions "$libc" lt 2.36; then
        shlibs=$(sed -E "s/libc6 \(>= [^)]*\)/libc6 (>= 2.36)/" <<<"$shlibs")
    fi
fi
depends="$shlibs, adduser"
case $depends in *libvirt0*) ;; *) fail "Depends lacks libvirt0: $depends" ;; esac
case $depends in *libsystemd0*) ;; *) say "warning: the binary does not link libsystemd0" ;; esac

installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<EOF
Package: kvm-agent
Version: $version
Architecture: $arch
Maintainer: ${DEB_MAINTAINER:-kvm-agent maintainers <root@localhost>}
Installed-Size: $installed_size
Depends: $depends
Recommends: libvirt-daemon-system
Suggests: prometheus, prometheus-alertmanager
Section: admin
Priority: optional
Description: Prometheus exporter and alert-driven remediation agent for KVM hosts
 kvm-agent keeps a live inventory of this host and every libvirt domain on it,
 driven by libvirt's lifecycle events, and serves it as Prometheus metrics on
 port 9760. With its policy (/etc/kvm-agent/remediation.yml, dry run on by
 default) it also takes Alertmanager webhooks and starts or shuts down
 domains, rate-limited, audited and idempotent.
 .
 Example Prometheus rules and scrape job, and an Alertmanager configuration,
 are in /usr/share/kvm-agent.
EOF

mkdir -p "$output"
dpkg-deb --build --root-owner-group -Zxz "$stage" "$output/$package" >&2
say "built $output/$package ($(du -h "$output/$package" | cut -f1))"
echo "$output/$package"
