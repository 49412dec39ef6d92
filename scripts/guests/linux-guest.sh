#!/usr/bin/env bash
# Usage: scripts/guests/linux-guest.sh NAME [OUTDIR] > NAME.xml
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Prints libvirt domain XML for a tiny Linux guest (OUTDIR/vmlinuz +
# OUTDIR/initramfs.gz, built by build-linux-guest.sh when missing) that
# honours ACPI shutdown. Its serial console goes to OUTDIR/NAME.console.log,
# where it prints KVM-AGENT-GUEST-READY once acpid is listening. Its QEMU guest
# agent channel connects once qemu-ga runs (libvirt's agent lifecycle event).
set -euo pipefail

# shellcheck source=../lib/guest-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/guest-args.sh"
guest_args linux-guest "$@"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Build kernel and initramfs if missing or built by another version of the
# build script (a no-op in milliseconds otherwise); its output goes to stderr
# so stdout stays pure XML.
bash "$HERE/build-linux-guest.sh" "$OUTDIR" >&2

# A stable MAC per name (52:54:00 is QEMU's prefix) keeps the XML reproducible.
h=$(printf '%s' "$NAME" | md5sum)
MAC="52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
LOG=$OUTDIR/$NAME.console.log

# type 'qemu' (TCG): a kernel hangs early under type 'kvm' on hosts whose CPU
# lacks vmx/svm even though /dev/kvm exists. <acpi/> is what makes
# 'virsh shutdown' reach the guest as a power-button press. The user-mode
# (slirp) interface needs no bridge and no 'default' network. The console
# log is truncated at each start (append='off') so the ready line is fresh.
cat <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <metadata>
    <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
      <libosinfo:os id="http://debian.org/debian/12"/>
    </libosinfo:libosinfo>
  </metadata>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>128</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$OUTDIR/vmlinuz</kernel>
    <initrd>$OUTDIR/initramfs.gz</initrd>
    <cmdline>console=ttyS0</cmdline>
  </os>
  <features>
    <acpi/>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type='user'>
      <mac address='$MAC'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$LOG' append='off'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$LOG' append='off'/>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
  </devices>
</domain>
XML
