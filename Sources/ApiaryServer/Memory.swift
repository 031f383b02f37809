#if canImport(Glibc)
import Glibc

// <malloc.h> is not part of the Glibc module.
@_silgen_name("mallopt") private func glibc_mallopt(_ param: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibc_malloc_trim(_ pad: Int) -> Int32
private let M_ARENA_MAX: Int32 = -8
#endif

/// glibc heap settings for the long-running server.
///
/// With many threads (NIO event loops, the Swift concurrency pool, SQLite's dispatch queues)
/// glibc's malloc hands out up to 8 arenas per core and keeps freed pages of each, so the
/// resident size of a server that serves bursts (every long poll woken at a new generation)
/// ratchets up and rarely comes down. ``OrderServer/run(onRunning:)`` limits the arenas to 2
/// and ``OrdersCache`` trims the heap a few seconds after each generation swap (once the
/// woken polls are answered). Both are no-ops off glibc. See benchmarks/LOAD.md for the
/// measurements behind this.
enum Memory {
    /// Caps the number of malloc arenas (like `MALLOC_ARENA_MAX`); an explicit
    /// `MALLOC_ARENA_MAX` in the environment wins. Call before the server's threads start.
    static func limitArenas(_ count: Int32) {
        #if canImport(Glibc)
        if getenv("MALLOC_ARENA_MAX") == nil {
            _ = glibc_mallopt(M_ARENA_MAX, count)
        }
        #endif
    }

    /// Returns free heap pages to the kernel (`malloc_trim(0)`); true when some were released.
    @discardableResult
    static func trim() -> Bool {
        #if canImport(Glibc)
        return glibc_malloc_trim(0) != 0
        #else
        return false
        #endif
    }
}
