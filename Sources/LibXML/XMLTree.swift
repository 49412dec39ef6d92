/// An element of a parsed XML document: its local name, namespace, attributes, child elements and text.
public struct XMLTree: Sendable, Equatable {
    public var localName: String
    /// The element's namespace; "" when it has none.
    public var uri: String
    /// By qualified name (`prefix:name` for an attribute in a namespace); namespace declarations are not
    /// attributes.
    public var attributes: [String: String]
    public var elements: [XMLTree]
    /// The element's own text, without its children's.
    public var text: String

    public init(
        localName: String, uri: String = "", attributes: [String: String] = [:], elements: [XMLTree] = [],
        text: String = ""
    ) {
        self.localName = localName
        self.uri = uri
        self.attributes = attributes
        self.elements = elements
        self.text = text
    }

    /// Child elements named `localName`, or all child elements for "".
    public func children(_ localName: String) -> [XMLTree] {
        elements.filter { localName.isEmpty || $0.localName == localName }
    }

    public func child(_ localName: String) -> XMLTree? {
        elements.first { $0.localName == localName }
    }

    public func attr(_ name: String) -> String? {
        attributes[name]
    }

    /// The text of the element and of every element inside it, in document order.
    public var stringValue: String {
        text + elements.map(\.stringValue).joined()
    }
}

/// Why a text is not a well-formed XML document, in libxml2's words with the line it stopped at.
public struct XMLParseError: Error, Equatable, CustomStringConvertible {
    public let description: String
}
