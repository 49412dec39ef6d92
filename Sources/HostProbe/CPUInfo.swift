import KVMCore

extension HostProbe {
    /// Reads the virtualisation flag and vendor from /proc/cpuinfo text.
    ///
    /// Every `flags` line is checked, not only the first, so a hybrid or oddly ordered listing still counts.
    /// Flags are compared as whole words because the kernel also lists names such as `vmx_*` sub-features.
    static func parseCPUInfo(_ text: String) -> (technology: HostCapability.Technology, vendor: String) {
        var vendor: String?
        var hasVMX = false
        var hasSVM = false
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingBlanks()
            let value = line[line.index(after: colon)...]
            switch key {
            case "vendor_id" where vendor == nil:
                let trimmed = value.trimmingBlanks()
                if !trimmed.isEmpty { vendor = String(trimmed) }
            case "flags":
                for flag in value.split(whereSeparator: \.isWhitespace) {
                    if flag == "vmx" { hasVMX = true }
                    if flag == "svm" { hasSVM = true }
                }
            default:
                continue
            }
        }
        let technology: HostCapability.Technology = hasVMX ? .vtx : (hasSVM ? .amdv : .none)
        return (technology, vendor ?? "unknown")
    }
}
