#if os(Linux)
import CSystemd
import Glibc
#endif
import Logging
import ServiceLifecycle

/// systemd integration through libsystemd: readiness, status, stopping and watchdog
/// notifications (`sd_notify`). Every call is a no-op outside systemd (no `$NOTIFY_SOCKET`)
/// and on non-Linux platforms.
public enum Systemd {
    /// Sends `state` (newline-separated `KEY=VALUE` pairs) to the service manager.
    public static func notify(_ state: String) {
        #if os(Linux)
        _ = sd_notify(0, state)
        #endif
    }

    /// Half the watchdog timeout when systemd expects pings (`WatchdogSec=`), else `nil`.
    public static func watchdogPingInterval() -> Duration? {
        #if os(Linux)
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
        #else
        return nil
        #endif
    }

    /// Whether `journalStream` (the value of `$JOURNAL_STREAM`, `DEVICE:INODE`) names the file
    /// that standard output is, i.e. our stdout is connected to the journal.
    public static func stdoutIsJournal(journalStream: String?) -> Bool {
        #if os(Linux)
        guard let value = journalStream else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDOUT_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
        #else
        return false
        #endif
    }
}

/// Tells systemd when the server stops, and pings the watchdog while the orders loop is alive.
///
/// READY=1 is sent by the server once its listener is bound (``OrderServer``). The watchdog is
/// pinged at half of `WATCHDOG_USEC`, but only while the orders cache's loop has completed a
/// round recently, so a wedged loop gets the service restarted.
struct SystemdService: Service {
    let cache: OrdersCache
    let logger: Logger

    func run() async throws {
        guard let interval = Systemd.watchdogPingInterval() else {
            await withGracefulShutdownHandler {
                try? await gracefulShutdown()
            } onGracefulShutdown: {
                Systemd.notify("STOPPING=1\nSTATUS=stopping")
            }
            return
        }
        logger.info("systemd watchdog enabled", metadata: ["ping_interval": "\(interval)"])
        await withGracefulShutdownHandler {
            while !Task.isCancelledOrShuttingDown {
                let age = ContinuousClock.now - cache.lastTick
                if age < interval * 2 {
                    Systemd.notify("WATCHDOG=1")
                } else {
                    logger.warning("orders loop stalled for \(age); withholding watchdog ping")
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        } onGracefulShutdown: {
            Systemd.notify("STOPPING=1\nSTATUS=stopping")
        }
    }
}
