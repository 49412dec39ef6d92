import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An element of a parsed XML document: its local name, namespace, attributes, child elements and text.
///
/// Built with Foundation's event parser, not `XMLDocument`: swift-corelibs-foundation never frees an
/// `XMLDocument`'s nodes (each retains itself), so every definition the agent read leaked its whole tree,
/// about 39 KB for a small domain, 0.4 MB a minute on a host whose guests restart every few seconds
/// (bench/soak.sh at 100 guests; valgrind named `XMLDocument` as the owner of the lost blocks).
struct XMLTree: Sendable, Equatable {
    var localName: String
    var uri: String?
    var attributes: [String: String] = [:]
    var elements: [XMLTree] = []
    /// The element's own text, without its children's.
    var text = ""

    /// The root element of a definition that must be `<root>`; the error names `what` the XML was meant to
    /// describe ("domain XML does not parse: …", "storage pool XML has no <pool> root").
    static func parse(_ xml: String, root name: String, what: String) throws -> XMLTree {
        let root: XMLTree
        do {
            root = try parse(xml)
        } catch let error as DomainConfig.ParseError {
            throw DomainConfig.ParseError(description: "\(what) \(error.description)")
        }
        guard root.localName == name else {
            throw DomainConfig.ParseError(description: "\(what) XML has no <\(name)> root")
        }
        return root
    }

    /// The document's root element. Throws when the text is not well-formed XML.
    static func parse(_ xml: String) throws -> XMLTree {
        // libxml2 reads a NUL as the end of the input: an empty document, refused here with a clearer word.
        guard let first = xml.utf8.first, first != 0 else {
            throw DomainConfig.ParseError(description: "XML does not parse: empty document")
        }
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0)" } ?? "no root element"
            throw DomainConfig.ParseError(description: "XML does not parse: \(reason)")
        }
        return root
    }

    /// Child elements named `localName`, or all child elements for "".
    func children(_ localName: String) -> [XMLTree] {
        elements.filter { localName.isEmpty || $0.localName == localName }
    }

    func child(_ localName: String) -> XMLTree? {
        elements.first { $0.localName == localName }
    }

    func attr(_ name: String) -> String? {
        attributes[name]
    }

    /// The text of the element and of every element inside it, as `XMLNode.stringValue` gives it.
    var stringValue: String {
        text + elements.map(\.stringValue).joined()
    }

    /// Holds the elements begun and not yet ended; the parser calls it on the calling thread only.
    private final class Builder: NSObject, XMLParserDelegate {
        var open: [XMLTree] = []
        var root: XMLTree?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            open.append(XMLTree(localName: elementName, uri: namespaceURI, attributes: attributeDict))
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            guard let element = open.popLast() else { return }
            if open.isEmpty {
                root = element
            } else {
                open[open.count - 1].elements.append(element)
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !open.isEmpty else { return }
            open[open.count - 1].text += string
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            guard !open.isEmpty else { return }
            open[open.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
        }
    }
}
