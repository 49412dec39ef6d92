import Foundation
import LibXML
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct XMLTreeTests {
    @Test func namesNamespacesAttributesAndText() throws {
        let tree = try XMLTree.parse(
            """
            <domain type='kvm' xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1">
              <name>web&amp;1</name>
              <metadata><nova:instance nova:id="a1"><nova:name>vm &#x3b1;</nova:name></nova:instance></metadata>
              <description><![CDATA[<raw> & text]]></description>
            </domain>
            """)
        #expect(tree.localName == "domain" && tree.uri == "")
        #expect(tree.attributes == ["type": "kvm"], "a namespace declaration is not an attribute")
        #expect(tree.child("name")?.text == "web&1")
        let instance = try #require(tree.child("metadata")?.child("instance"))
        #expect(instance.uri == "http://openstack.org/xmlns/libvirt/nova/1.1")
        #expect(instance.attributes == ["nova:id": "a1"])
        #expect(instance.stringValue == "vm α")
        #expect(tree.child("description")?.text == "<raw> & text")
        #expect(tree.children("").map(\.localName) == ["name", "metadata", "description"])
    }

    @Test(arguments: ["", "\0<a/>"])
    func anEmptyDocumentIsRefused(xml: String) {
        #expect(reason(xml) == "XML does not parse: empty document")
    }

    /// libxml2's own words differ between its versions; the line it stopped at and the prefix do not.
    @Test(arguments: [("<a><b></a>", 1), ("<a/>\n<b/>", 2), ("just text", 1), ("<a x='1' x='2'/>", 1)])
    func malformedDocumentsAreRefusedWithLibxml2sReason(xml: String, line: Int) throws {
        let text = try #require(reason(xml))
        #expect(text.hasPrefix("XML does not parse: ") && text.hasSuffix(" (line \(line))"))
        #expect(text.count > "XML does not parse:  (line 1)".count, "libxml2 gave no reason")
    }

    private func reason(_ xml: String) -> String? {
        do {
            _ = try XMLTree.parse(xml)
            return nil
        } catch {
            return error.description
        }
    }

    /// Neither a file nor the network is read for an external entity, and declared entities are not expanded,
    /// so a definition cannot pull in the host's files nor inflate itself.
    @Test func entitiesAreNeitherFetchedNorExpanded() throws {
        let external = try XMLTree.parse(
            #"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>[&e;]</d>"#)
        #expect(external.text == "[]")
        var laughs = #"<!ENTITY l0 "lol">"#
        for level in 1...9 {
            laughs += "<!ENTITY l\(level) \"" + String(repeating: "&l\(level - 1);", count: 10) + "\">"
        }
        // libxml2 refuses this one outright (an "entity reference loop"); expanded, it would be 3 GB of text.
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE d [\(laughs)]><d>&l9;</d>"
        let expanded = (try? XMLTree.parse(bomb))?.text ?? ""
        #expect(expanded.isEmpty)
    }

    /// The tree libxml2 gives is the one Foundation's XMLParser gave before, on every domain of the demo host.
    @Test func matchesFoundationsParserOnTheDemoHost() throws {
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../demo/demo-host.xml").standardized
        let host = try String(contentsOf: demo, encoding: .utf8)
        let domains = host.components(separatedBy: "<domain ").dropFirst().map {
            "<domain " + $0.components(separatedBy: "</domain>")[0] + "</domain>"
        }
        #expect(domains.count >= 5)
        for domain in domains {
            #expect(try XMLTree.parse(domain) == FoundationTree.parse(domain))
        }
    }
}

/// Foundation's event parser building the same tree, as the agent did before libxml2 was used directly.
private final class FoundationTree: NSObject, XMLParserDelegate {
    private var open: [XMLTree] = []
    private var root: XMLTree?

    static func parse(_ xml: String) -> XMLTree? {
        let parser = XMLParser(data: Data(xml.utf8))
        parser.shouldProcessNamespaces = true
        let builder = FoundationTree()
        parser.delegate = builder
        return parser.parse() ? builder.root : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        open.append(XMLTree(localName: elementName, uri: namespaceURI ?? "", attributes: attributeDict))
    }

    func parser(
        _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
    ) {
        guard let element = open.popLast() else { return }
        if open.isEmpty { root = element } else { open[open.count - 1].elements.append(element) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !open.isEmpty { open[open.count - 1].text += string }
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        if !open.isEmpty { open[open.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
    }
}
