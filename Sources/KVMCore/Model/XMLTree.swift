import LibXML

extension XMLTree {
    /// The root element of a definition that must be `<root>`; the error names `what` the XML was meant to
    /// describe ("domain XML does not parse: …", "storage pool XML has no <pool> root").
    static func parse(_ xml: String, root name: String, what: String) throws -> XMLTree {
        let root: XMLTree
        do {
            root = try parse(xml)
        } catch {
            throw DomainConfig.ParseError(description: "\(what) \(error.description)")
        }
        guard root.localName == name else {
            throw DomainConfig.ParseError(description: "\(what) XML has no <\(name)> root")
        }
        return root
    }
}
