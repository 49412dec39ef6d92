import CLibvirt

/// A failed libvirt call, carrying what libvirt said: its error code and domain (which subsystem), and the
/// message. Read on the thread of the failing call, as libvirt keeps errors per thread.
///
/// Match on the code, never on the message (which libvirt translates and rewords between releases):
/// `catch LibvirtError.Code.noDomain`, `switch error.code { case .operationInvalid: … }`.
public struct LibvirtError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libvirt's `virErrorNumber`, as swift-system's `Errno` wraps errno: any number libvirt sends is kept,
    /// the ones the agent acts on have names.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32

        public init(rawValue: Int32) { self.rawValue = rawValue }

        init(_ number: virErrorNumber) { self.init(rawValue: Int32(bitPattern: number.rawValue)) }

        /// Not from libvirt: the call failed without setting an error.
        public static let unknown = Code(rawValue: -1)
        public static let internalError = Code(VIR_ERR_INTERNAL_ERROR)
        public static let noSupport = Code(VIR_ERR_NO_SUPPORT)
        public static let noConnect = Code(VIR_ERR_NO_CONNECT)
        public static let invalidConnection = Code(VIR_ERR_INVALID_CONN)
        public static let invalidArgument = Code(VIR_ERR_INVALID_ARG)
        public static let operationFailed = Code(VIR_ERR_OPERATION_FAILED)
        public static let operationDenied = Code(VIR_ERR_OPERATION_DENIED)
        public static let systemError = Code(VIR_ERR_SYSTEM_ERROR)
        public static let rpc = Code(VIR_ERR_RPC)
        public static let noDomain = Code(VIR_ERR_NO_DOMAIN)
        public static let noStoragePool = Code(VIR_ERR_NO_STORAGE_POOL)
        public static let noNetwork = Code(VIR_ERR_NO_NETWORK)
        public static let authFailed = Code(VIR_ERR_AUTH_FAILED)
        public static let operationInvalid = Code(VIR_ERR_OPERATION_INVALID)
        public static let configUnsupported = Code(VIR_ERR_CONFIG_UNSUPPORTED)
        public static let operationTimeout = Code(VIR_ERR_OPERATION_TIMEOUT)
        public static let argumentUnsupported = Code(VIR_ERR_ARGUMENT_UNSUPPORTED)
        public static let operationUnsupported = Code(VIR_ERR_OPERATION_UNSUPPORTED)
        public static let agentUnresponsive = Code(VIR_ERR_AGENT_UNRESPONSIVE)
        public static let resourceBusy = Code(VIR_ERR_RESOURCE_BUSY)
        public static let accessDenied = Code(VIR_ERR_ACCESS_DENIED)
        public static let authUnavailable = Code(VIR_ERR_AUTH_UNAVAILABLE)
        public static let authCancelled = Code(VIR_ERR_AUTH_CANCELLED)

        public var description: String { "\(rawValue)" }

        /// `catch LibvirtError.Code.noDomain { … }`
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? LibvirtError)?.code == code
        }
    }

    public var code: Code
    /// libvirt's `virErrorDomain`, the subsystem that raised it.
    public var domain: Int
    public var message: String
    /// The libvirt function that failed.
    public var operation: String
    /// The errno of a failed system call (code `systemError`); nil for other errors.
    public var systemErrno: Int32?

    public init(code: Code, domain: Int, message: String, operation: String, systemErrno: Int32? = nil) {
        self.code = code
        self.domain = domain
        self.message = message
        self.operation = operation
        self.systemErrno = systemErrno
    }

    /// The calling thread's last libvirt error, taken right after `operation` failed.
    static func last(_ operation: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(
                code: .unknown, domain: 0, message: "\(operation) failed without an error", operation: operation)
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error"
        let code = Code(rawValue: error.pointee.code)
        // virReportSystemError puts the errno in int1; other errors use it for anything or nothing.
        let result = LibvirtError(
            code: code, domain: Int(error.pointee.domain), message: message, operation: operation,
            systemErrno: code == .systemError && error.pointee.int1 > 0 ? error.pointee.int1 : nil)
        virResetLastError()
        return result
    }

    public var description: String { "\(operation): \(message) (libvirt error \(code), domain \(domain))" }
}

/// Checks a libvirt return code: negative means failure.
@inline(__always)
func check(_ result: Int32, _ operation: String) throws(LibvirtError) -> Int32 {
    guard result >= 0 else { throw LibvirtError.last(operation) }
    return result
}
