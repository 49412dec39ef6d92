/// One step into a JSON document.
enum JSONPathStep: Sendable, Equatable {
    case key(String)
    case index(Int)
}

extension JSONValue {
    /// The path of every node below this one.
    func paths() -> [[JSONPathStep]] {
        switch self {
        case .object(let fields):
            return fields.flatMap { field in
                [[.key(field.key)]] + field.value.paths().map { [.key(field.key)] + $0 }
            }
        case .array(let items):
            return items.indices.flatMap { index in
                [[.index(index)]] + items[index].paths().map { [.index(index)] + $0 }
            }
        default:
            return []
        }
    }

    func value(at path: [JSONPathStep]) -> JSONValue? {
        guard let first = path.first else { return self }
        switch (self, first) {
        case (.object, .key(let key)): return self[key]?.value(at: Array(path.dropFirst()))
        case (.array(let items), .index(let index)) where items.indices.contains(index):
            return items[index].value(at: Array(path.dropFirst()))
        default: return nil
        }
    }

    /// A copy with the node at `path` replaced, added (as the last key of its object) or, for nil, removed.
    func setting(_ path: [JSONPathStep], to newValue: JSONValue?) -> JSONValue {
        guard let first = path.first else { return newValue ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.object(var fields), .key(let key)):
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if rest.isEmpty && newValue == nil {
                    fields.remove(at: index)
                } else {
                    fields[index].value = fields[index].value.setting(rest, to: newValue)
                }
            } else if rest.isEmpty, let newValue {
                fields.append((key: key, value: newValue))
            }
            return .object(fields)
        case (.array(var items), .index(let index)) where items.indices.contains(index):
            if rest.isEmpty && newValue == nil {
                items.remove(at: index)
            } else {
                items[index] = items[index].setting(rest, to: newValue)
            }
            return .array(items)
        default:
            return self
        }
    }
}
