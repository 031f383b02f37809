import Crypto
import Foundation
import GRDB

/// What a bearer token may open.
public enum TokenRole: Sendable, Equatable, Hashable {
    case admin
    case host(String)
}

/// A token as stored: its public id, the SHA-256 of its secret, and its role. The secret itself
/// is never stored.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var secretSHA256: [UInt8]
    public var role: TokenRole
    public var createdAt: String
    public var revoked: Bool
}

/// A freshly issued token: `token` is shown once and then only its hash exists.
public struct IssuedToken: Sendable {
    public var id: String
    public var token: String
    public var role: TokenRole
}

/// Token text: `apiary_<id>_<secret>`. The id (16 hex digits) selects the record; the secret
/// (32 random bytes, base64url) is checked against the stored SHA-256 in constant time, so
/// neither a lookup nor a comparison leaks how much of a guess was right.
public enum TokenFormat {
    public static let prefix = "apiary_"

    /// Splits a presented token into id and secret; `nil` when it is not shaped like a token.
    public static func parse(_ token: Substring) -> (id: Substring, secret: Substring)? {
        guard token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        guard let separator = rest.firstIndex(of: "_") else { return nil }
        let id = rest[..<separator]
        let secret = rest[rest.index(after: separator)...]
        guard id.count == 16, !secret.isEmpty, secret.count <= 128 else { return nil }
        return (id, secret)
    }

    public static func hash(secret: Substring) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares two byte strings in time independent of where they differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        // SystemRandomNumberGenerator reads the kernel CSPRNG (getrandom on Linux).
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension OrderStore {
    /// Issues a token and stores only the hash of its secret.
    public func issueToken(role: TokenRole) throws(StoreError) -> IssuedToken {
        let id = TokenFormat.randomBytes(8).map { String(format: "%02x", $0) }.joined()
        let secret = TokenFormat.base64url(TokenFormat.randomBytes(32))
        let hash = TokenFormat.hash(secret: Substring(secret))
        let host: String?
        let roleName: String
        switch role {
        case .admin: (host, roleName) = (nil, "admin")
        case .host(let name): (host, roleName) = (name, "host")
        }
        try wrap {
            try pool.write { db in
                try db.execute(
                    sql: "INSERT INTO token (id, secret_sha256, role, host, created_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [id, Data(hash), roleName, host, Self.timestamp()])
            }
        }
        return IssuedToken(id: id, token: TokenFormat.prefix + id + "_" + secret, role: role)
    }

    public func revokeToken(id: String) throws(StoreError) {
        let changed: Int = try wrap {
            try pool.write { db in
                try db.execute(
                    sql: "UPDATE token SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [Self.timestamp(), id])
                return db.changesCount
            }
        }
        if changed == 0 { throw .unknownToken(id) }
    }

    /// Every token, revoked ones included.
    public func tokens() throws(StoreError) -> [TokenRecord] {
        try wrap { try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM token ORDER BY created_at, id").map(Self.token(row:)) } }
    }

    public func tokensAsync() async throws(StoreError) -> [TokenRecord] {
        try await wrapAsync {
            try await pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM token").map(Self.token(row:)) }
        }
    }

    static func token(row: Row) -> TokenRecord {
        let host: String? = row["host"]
        let revokedAt: String? = row["revoked_at"]
        let hash: Data = row["secret_sha256"]
        return TokenRecord(
            id: row["id"], secretSHA256: Array(hash), role: host.map(TokenRole.host) ?? .admin,
            createdAt: row["created_at"], revoked: revokedAt != nil)
    }
}
