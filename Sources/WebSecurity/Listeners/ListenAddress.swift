import KVMCore

/// One `--web.listen-address` value. `:PORT` (no host) means every interface on both address families, as a Go
/// exporter's `:9100` does; a host or an address listens there only.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// nil for every interface.
    public var host: String?
    public var port: Int
    /// The flag's value as given, for messages.
    public var description: String

    public init(host: String?, port: Int) {
        self.host = host
        self.port = port
        switch host {
        case nil: self.description = ":\(port)"
        case let host? where host.contains(":"): self.description = "[\(host)]:\(port)"
        case let host?: self.description = "\(host):\(port)"
        }
    }

    /// ":9760", "127.0.0.1:9760", "[::1]:9760", "localhost:9760".
    public static func parse(_ text: String) throws -> ListenAddress {
        let (host, port) = try FlagValues.listenAddress(text)
        var address = ListenAddress(host: text.hasPrefix(":") ? nil : host, port: port)
        address.description = text
        return address
    }
}
