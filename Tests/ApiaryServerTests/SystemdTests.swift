@testable import ApiaryServer
import Logging
import Testing

@Suite("systemd integration")
struct SystemdTests {
    @Test func journalFieldsAreStructured() {
        var handler = JournalLogHandler(label: "apiary.serve")
        handler[metadataKey: "hab.service-group"] = "redis.prod"
        let event = LogEvent(
            level: .warning, message: "slow", metadata: ["_private": "x", "9lives": "y"], source: "ApiaryServer",
            file: "OrderServer.swift", function: "orders", line: 42)
        let fields = handler.fields(for: event)
        #expect(fields.contains("MESSAGE=slow"))
        #expect(fields.contains("PRIORITY=4"))
        #expect(fields.contains("SYSLOG_IDENTIFIER=apiary"))
        #expect(fields.contains("CODE_LINE=42"))
        #expect(fields.contains("LOGGER=apiary.serve"))
        #expect(fields.contains("HAB_SERVICE_GROUP=redis.prod"))
        #expect(fields.contains("PRIVATE=x"))
        #expect(fields.contains("F9LIVES=y"))
        // Not under journald here: sending is a harmless no-op.
        handler.log(event: event)
    }

    @Test func journalStreamMustMatchStdout() {
        #expect(!Systemd.stdoutIsJournal(journalStream: nil))
        #expect(!Systemd.stdoutIsJournal(journalStream: "garbage"))
        #expect(!Systemd.stdoutIsJournal(journalStream: "1:1"))
    }

    @Test func notifyOutsideSystemdIsANoOp() {
        Systemd.notify("STATUS=testing")
        #expect(Systemd.watchdogPingInterval() == nil)
    }
}
