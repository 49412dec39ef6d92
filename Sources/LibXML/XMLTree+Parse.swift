import CLibXML2

extension XMLTree {
    /// The document's root element. Throws when the text is not well-formed XML.
    ///
    /// Read with libxml2 itself (the library libvirt already loads) rather than Foundation's `XMLParser`,
    /// which runs every event through CoreFoundation strings and dictionaries and a per-thread parser
    /// registry: the agent's resident code pages fell by 1.1 MiB without it (bench/pages.py, 100 guests).
    /// The parse is strict: no recovery from errors, no network, no DTD loaded, and entities other than
    /// XML's own are not expanded, so a hostile definition can neither reach a file or host nor inflate
    /// itself.
    public static func parse(_ xml: String) throws(XMLParseError) -> XMLTree {
        _ = libraryReady
        // libxml2 reads a NUL as the end of the input: an empty document, refused here with a clearer word.
        guard let first = xml.utf8.first, first != 0 else {
            throw XMLParseError(description: "XML does not parse: empty document")
        }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        var text = xml
        let document = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                xmlReadMemory(chars.baseAddress, Int32(clamping: chars.count), nil, "UTF-8", options)
            }
        }
        guard let document else { throw lastError() }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document) else {
            throw XMLParseError(description: "XML does not parse: no root element")
        }
        return element(root)
    }

    /// libxml2 asks that the first call set up its global state before threads use it.
    private static let libraryReady: Void = xmlInitParser()

    private static func element(_ node: xmlNodePtr) -> XMLTree {
        var tree = XMLTree(localName: string(node.pointee.name), uri: string(node.pointee.ns?.pointee.href))
        var attribute = node.pointee.properties
        while let current = attribute {
            let name = string(current.pointee.name)
            let prefix = string(current.pointee.ns?.pointee.prefix)
            let value = xmlNodeGetContent(UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self))
            tree.attributes[prefix.isEmpty ? name : "\(prefix):\(name)"] = string(value)
            kvmshim_xml_free(value)
            attribute = current.pointee.next
        }
        var child = node.pointee.children
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE: tree.elements.append(element(current))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE: tree.text += string(current.pointee.content)
            default: break
            }
            child = current.pointee.next
        }
        return tree
    }

    private static func string(_ characters: UnsafePointer<xmlChar>?) -> String {
        guard let characters else { return "" }
        return String(cString: characters)
    }

    private static func string(_ characters: UnsafeMutablePointer<xmlChar>?) -> String {
        string(UnsafePointer(characters))
    }

    /// libxml2 keeps the last error per thread; the parse that just failed ran on this one.
    private static func lastError() -> XMLParseError {
        guard let error = xmlGetLastError() else { return XMLParseError(description: "XML does not parse") }
        let message = string(UnsafeRawPointer(error.pointee.message)?.assumingMemoryBound(to: xmlChar.self))
        let reason = message.trimmingTrailingWhitespace
        return XMLParseError(description: "XML does not parse: \(reason) (line \(error.pointee.line))")
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var scalars = unicodeScalars[...]
        while let last = scalars.last, last == " " || last == "\n" || last == "\t" || last == "\r" {
            scalars = scalars.dropLast()
        }
        return String(scalars)
    }
}
