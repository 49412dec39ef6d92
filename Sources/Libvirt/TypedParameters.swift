import CLibvirt

/// One value of a libvirt typed parameter list (`virTypedParameter`), copied out of C memory.
public enum TypedValue: Sendable, Equatable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)
}

extension TypedValue {
    /// Copies `count` parameters starting at `params` into a dictionary keyed by field name.
    static func dictionary(_ params: UnsafeMutablePointer<virTypedParameter>?, count: Int32) -> [String: TypedValue] {
        guard let params, count > 0 else { return [:] }
        var result: [String: TypedValue] = [:]
        result.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            var param = params[index]
            let name = withUnsafeBytes(of: &param.field) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if let value = TypedValue(param) { result[name] = value }
        }
        return result
    }

    init?(_ param: virTypedParameter) {
        switch UInt32(bitPattern: param.type) {
        case VIR_TYPED_PARAM_INT.rawValue: self = .int(Int64(param.value.i))
        case VIR_TYPED_PARAM_UINT.rawValue: self = .uint(UInt64(param.value.ui))
        case VIR_TYPED_PARAM_LLONG.rawValue: self = .int(param.value.l)
        case VIR_TYPED_PARAM_ULLONG.rawValue: self = .uint(param.value.ul)
        case VIR_TYPED_PARAM_DOUBLE.rawValue: self = .double(param.value.d)
        case VIR_TYPED_PARAM_BOOLEAN.rawValue: self = .bool(param.value.b != 0)
        case VIR_TYPED_PARAM_STRING.rawValue:
            guard let s = param.value.s else { return nil }
            self = .string(String(cString: s))
        default: return nil
        }
    }
}
