#!/usr/bin/env bash
# Usage: scripts/guests/halted-guest.sh NAME [OUTDIR] > NAME.xml
#   OUTDIR defaults to /var/lib/libvirt/images/kvm-agent
# Writes OUTDIR/NAME.img, a 512-byte boot sector that halts the vCPU
# (cli; hlt; jmp back), and prints libvirt domain XML for domain NAME.
# The guest boots in well under a second, then costs ~no CPU; it ignores ACPI
# shutdown, so it is the case for "graceful shutdown times out, then force".
set -euo pipefail

LIB=$(dirname "${BASH_SOURCE[0]}")/../lib
# shellcheck source=../lib/guest-args.sh
source "$LIB/guest-args.sh"
# shellcheck source=../lib/boot-sector-guest.sh
source "$LIB/boot-sector-guest.sh"
guest_args halted-guest "$@"

# FA F4 EB FD: cli; hlt; jmp back to hlt.
boot_sector_guest '\xfa\xf4\xeb\xfd' "    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>"
