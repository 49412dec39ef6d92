/// One typed value of libvirt's bulk statistics (`virTypedParameter`), free of C types.
public enum StatValue: Sendable, Equatable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case string(String)

    public var number: Double? {
        switch self {
        case .int(let v): Double(v)
        case .uint(let v): Double(v)
        case .double(let v): v
        case .bool(let v): v ? 1 : 0
        case .string: nil
        }
    }

    public var text: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
