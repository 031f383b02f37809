import ApiaryCore
import Foundation
import Testing

@testable import ApiaryInventory

/// Plan documents that are valid JSON of the wrong shape: every error names the file, the
/// line, the key path and what was expected in words, never a Swift type or a Foundation code.
@Suite("Decoding JSON documents")
struct JSONDocumentTests {
    static let expected = "a plan written by `apiary plan --format json`"

    /// A small valid plan document, one key per line so lines are predictable.
    static func plan(instance: String = "0", moves: String = "0", host: String = "\"h1\"") -> String {
        """
        {
          "format": "apiary-plan/1",
          "summary": {
            "hosts_total": 1,
            "hosts_used": 1,
            "hosts_freed": 0,
            "lower_bound": 1,
            "instances": 1,
            "unplaced": 0,
            "moves": \(moves),
            "utilization": { "cpu": 0.5 }
          },
          "assignments": [
            { "service": "web.prod", "instance": \(instance), "host": \(host) }
          ],
          "unplaced": [],
          "hosts": [ { "name": "h1", "instances": 1, "utilization": { "cpu": 0.5 } } ]
        }
        """
    }

    static func decode(_ text: String) throws(InventoryError) -> PlanDocument {
        try JSONDocument.decode(PlanDocument.self, from: Data(text.utf8), file: "plan.json", expected: expected)
    }

    static func message(_ text: String) -> String? {
        do {
            _ = try decode(text)
            return nil
        } catch {
            #expect(error.kind == .data)
            return error.description
        }
    }

    @Test("a valid document decodes; an integral float such as 2.0 is an integer")
    func valid() throws {
        #expect(try Self.decode(Self.plan()).assignments[0].instance == 0)
        #expect(try Self.decode(Self.plan(instance: "2.0", moves: "3.0")).summary.moves == 3)
    }

    @Test(
        "valid JSON of the wrong shape",
        arguments: [
            ("[]", "plan.json:1: expected an object (\(expected)), got a list"),
            (plan(instance: "0.5"), "plan.json:14: assignments[0].instance: expected an integer, got 0.5"),
            (plan(moves: "28.5"), "plan.json:10: summary.moves: expected an integer, got 28.5"),
            (plan(moves: "\"many\""), "plan.json:10: summary.moves: expected an integer, got \"many\""),
            (plan(moves: "1e30"), "plan.json:10: summary.moves: expected an integer, got 1e+30 (out of range)"),
            (plan(host: "null"), "plan.json:14: assignments[0].host: expected a string, got null"),
            (plan(host: "[1]"), "plan.json:14: assignments[0].host: expected a string, got a list"),
            (plan().replacingOccurrences(of: "\"moves\": 0,\n", with: ""), "plan.json:3: summary.moves: missing required key"),
            (plan().replacingOccurrences(of: "\"unplaced\": []", with: "\"unplaced\": {}"),
             "plan.json:16: unplaced: expected a list, got an object"),
            ("", "plan.json: the file is empty, expected \(expected)"),
            ("{ \"format\": ", "plan.json:1: JSON syntax error: unexpected end of input, expected a value"),
        ])
    func wrongShape(text: String, message: String) {
        #expect(Self.message(text) == message)
    }

    @Test("no Swift type names or Foundation codes reach the message")
    func noInternals() {
        for text in ["[]", Self.plan(instance: "0.5"), Self.plan(moves: "true"), "{}"] {
            let m = Self.message(text) ?? ""
            for leak in ["Dictionary<", "Array<", "Int", "Double", "NSCocoaErrorDomain", "not valid JSON", "Summary"] {
                #expect(!m.contains(leak), "\(m)")
            }
        }
    }

    @Test("Foundation's own DecodingErrors are described in the same words")
    func describesFoundationErrors() {
        let error: DecodingError
        do {
            _ = try JSONDecoder().decode(PlanDocument.self, from: Data("[]".utf8))
            Issue.record("decoded a list as a plan")
            return
        } catch let e as DecodingError {
            error = e
        } catch {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(JSONDocument.describe(error, file: "p.json").description == "p.json: expected an object, got a list")
    }
}
