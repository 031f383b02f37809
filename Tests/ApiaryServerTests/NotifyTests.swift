import ApiaryStore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc

/// Runs the real `apiary serve` with a NOTIFY_SOCKET we bind, as systemd would for
/// `Type=notify` + `WatchdogSec=1`, and checks READY/STATUS/WATCHDOG/STOPPING.
@Suite("sd_notify")
struct NotifyTests {
    /// A bound AF_UNIX datagram socket with a receive timeout.
    final class NotifySocket {
        let fd: Int32
        let path: String

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// Messages received until `deadline`.
        func receive(for duration: Duration) -> [String] {
            var messages: [String] = []
            let deadline = ContinuousClock.now + duration
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now < deadline {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { messages.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
            return messages
        }

        deinit { close(fd) }
    }

    @Test(.enabled(if: Fixtures.apiaryBinary != nil, "needs the built apiary executable"), .timeLimit(.minutes(1)))
    func serveNotifiesReadyWatchdogAndStopping() throws {
        let binary = try #require(Fixtures.apiaryBinary)
        let dir = try TemporaryDirectory()
        let store = try OrderStore(path: dir.path("n.db"), create: true)
        try store.apply(try Fixtures.plan("three-hosts-a.json"))
        let socket = try NotifySocket(path: dir.path("notify.sock"))

        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--db", dir.path("n.db"), "--listen", "127.0.0.1:0", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = socket.path
        environment["WATCHDOG_USEC"] = "1000000"
        environment["WATCHDOG_PID"] = nil
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let running = socket.receive(for: .seconds(3))
        process.terminate()  // SIGTERM
        let stopping = socket.receive(for: .seconds(1))
        process.waitUntilExit()

        #expect(process.terminationStatus == 0)
        #expect(running.contains { $0.hasPrefix("READY=1") && $0.contains("STATUS=serving generation 1") })
        #expect(running.filter { $0 == "WATCHDOG=1" }.count >= 3)
        #expect(stopping.contains { $0.hasPrefix("STOPPING=1") })
    }
}
#endif
