# Sourced by the boot-sector guest scripts (halted, disk writer): one 512-byte
# boot sector per domain and the domain XML that boots it, so that each script
# says only what its guest does.
#
# boot_sector_guest CODE [DEVICES]
#   Writes OUTDIR/NAME.img (guest_args sets NAME and OUTDIR): the bytes CODE
#   (printf escapes) at 0 and the 55 AA boot signature at 510; then prints the
#   XML of domain NAME, type 'qemu' (TCG runs anywhere), 64 MiB, one vCPU,
#   booting that image as hda, with DEVICES (XML) added to <devices>.
#   One image per domain: libvirt refuses <readonly/> on ide/sata disks, so
#   guests cannot share one.
boot_sector_guest() {
    local code=$1 devices=${2:-}
    mkdir -p "$OUTDIR"
    chmod 755 "$OUTDIR"
    local img=$OUTDIR/$NAME.img
    local tmp=$img.tmp.$$
    head -c 512 /dev/zero >"$tmp"
    # shellcheck disable=SC2059 # CODE is printf escapes by design
    printf "$code" | dd of="$tmp" bs=1 seek=0 conv=notrunc status=none
    printf '\x55\xaa' | dd of="$tmp" bs=1 seek=510 conv=notrunc status=none
    chmod 644 "$tmp"
    mv -f "$tmp" "$img"
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
      <source file='$img'/>
      <target dev='hda' bus='ide'/>
    </disk>
$devices
  </devices>
</domain>
XML
}
