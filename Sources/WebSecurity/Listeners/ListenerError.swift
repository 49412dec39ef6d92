import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// A listener that could not be opened; names it, so that with several `--web.listen-address` flags the operator
/// sees which one failed.
public struct ListenerError: Error, CustomStringConvertible {
    /// The address as given, or the inherited socket's description.
    public let listener: String
    public let underlying: any Error

    public var description: String {
        if let error = underlying as? IOError, error.errnoCode == EADDRINUSE {
            return "cannot listen on \(listener): address already in use"
        }
        return "cannot listen on \(listener): \(underlying)"
    }
}
