#!/usr/bin/env bash
# Usage: scripts/guests/halted-guest.sh NAME [OUTDIR] > NAME.xml
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Writes OUTDIR/NAME.img, a 512-byte boot sector that halts the vCPU
# (cli; hlt; jmp back), and prints libvirt domain XML for domain NAME.
# The guest boots in well under a second, then costs ~no CPU; it ignores ACPI
# shutdown, so it is the case for "graceful shutdown times out, then force".
set -euo pipefail

# shellcheck source=../lib/guest-args.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/guest-args.sh"
guest_args halted-guest "$@"

mkdir -p "$OUTDIR"
chmod 755 "$OUTDIR"
IMG=$OUTDIR/$NAME.img

# One image per domain: libvirt refuses <readonly/> on ide/sata disks, so
# guests cannot share one. Bytes: FA F4 EB FD at 0, 55 AA (boot signature) at 510.
tmp=$IMG.tmp.$$
head -c 512 /dev/zero >"$tmp"
printf '\xfa\xf4\xeb\xfd' | dd of="$tmp" bs=1 seek=0 conv=notrunc status=none
printf '\x55\xaa' | dd of="$tmp" bs=1 seek=510 conv=notrunc status=none
chmod 644 "$tmp"
mv -f "$tmp" "$IMG"

# type 'qemu' (TCG) runs anywhere; no network; power-off ends the domain.
cat <<XML
<domain type='qemu'>
  <name>$NAME</name>
  <memory unit='MiB'>64</memory>
  <currentMemory unit='MiB'>64</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$IMG'/>
      <target dev='hda' bus='ide'/>
    </disk>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
XML
