import Yams

/// Typed, strict access to the YAML tree. Yams' Codable decoding would drop the node marks and ignore unknown keys;
/// walking the composed `Node`s keeps both, so every error can name its key and line, as `UnmarshalStrict` does in Go.
struct YAMLContext {
    let file: String

    func error(_ message: String, at path: String, _ node: Node?) -> WebConfigurationError {
        WebConfigurationError(file: self.file, keyPath: path, line: node?.mark?.line, message: message)
    }

    /// The entries of a mapping, in file order, after rejecting unknown and repeated keys.
    func mapping(_ node: Node, at path: String, allowedKeys: Set<String>?) throws -> [YAMLEntry] {
        guard case .mapping(let mapping) = node else {
            throw self.error("expected a mapping, found \(node.kindName)", at: path, node)
        }
        var seen = Set<String>()
        var entries: [YAMLEntry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                throw self.error("keys must be plain strings, found \(keyNode.kindName)", at: path, keyNode)
            }
            let key = scalar.string
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if let allowedKeys, !allowedKeys.contains(key) {
                let known = allowedKeys.sorted().joined(separator: ", ")
                throw self.error("unknown key (known keys: \(known))", at: childPath, keyNode)
            }
            guard seen.insert(key).inserted else {
                throw self.error("key appears more than once", at: childPath, keyNode)
            }
            entries.append(YAMLEntry(key: key, path: childPath, keyNode: keyNode, value: value))
        }
        return entries
    }

    /// A scalar as text; `nil` for an explicit null (`key:` or `key: ~`), which the Go toolkit treats as unset.
    func string(_ node: Node, at path: String) throws -> String? {
        guard case .scalar(let scalar) = node else {
            throw self.error("expected a string, found \(node.kindName)", at: path, node)
        }
        if node.isNull { return nil }
        return scalar.string
    }

    func bool(_ node: Node, at path: String) throws -> Bool? {
        if node.isNull { return nil }
        guard case .scalar = node, let value = node.bool else {
            throw self.error("expected true or false, found \(node.describedValue)", at: path, node)
        }
        return value
    }

    /// A list of strings with each element's node, so callers can point at the bad element.
    func stringList(_ node: Node, at path: String) throws -> [(value: String, node: Node, path: String)] {
        if node.isNull { return [] }
        guard case .sequence(let sequence) = node else {
            throw self.error("expected a list, found \(node.kindName)", at: path, node)
        }
        return try sequence.enumerated().map { index, element in
            let elementPath = "\(path)[\(index)]"
            guard let value = try self.string(element, at: elementPath) else {
                throw self.error("list elements must not be empty", at: elementPath, element)
            }
            return (value, element, elementPath)
        }
    }
}

struct YAMLEntry {
    let key: String
    let path: String
    let keyNode: Node
    let value: Node
}

extension Node {
    var isNull: Bool {
        guard case .scalar = self else { return false }
        return self.tag.rawValue == Tag.Name.null.rawValue
    }

    var kindName: String {
        switch self {
        case .scalar: return self.isNull ? "null" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var describedValue: String {
        if case .scalar(let scalar) = self { return "\"\(scalar.string)\"" }
        return self.kindName
    }
}
