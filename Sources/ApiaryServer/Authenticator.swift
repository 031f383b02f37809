import ApiaryStore
import HTTPTypes
import Hummingbird
import Logging

/// Checks bearer tokens against the store's hashes.
///
/// Tokens are cached in memory (reloaded every `tokenRefreshInterval`, and looked up in the
/// store on a miss), keyed by their public id; the secret's SHA-256 is compared in constant time.
public final class Authenticator: Sendable {
    let store: OrderStore
    let tokens = Locked<[String: TokenRecord]>([:])

    public init(store: OrderStore) {
        self.store = store
    }

    public func reload() async throws {
        let all = try await store.tokensAsync()
        var byID: [String: TokenRecord] = [:]
        for token in all { byID[token.id] = token }
        tokens.withLock { $0 = byID }
    }

    /// The role of the request's bearer token, or 401.
    func role(of request: Request) async throws -> TokenRole {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer ",
            let (id, secret) = TokenFormat.parse(header.dropFirst(7).drop(while: { $0 == " " }))
        else {
            throw Self.unauthorized("missing or malformed bearer token")
        }
        var record = tokens.withLock { $0[String(id)] }
        if record == nil {
            // Issued since the last reload?
            try? await reload()
            record = tokens.withLock { $0[String(id)] }
        }
        let presented = TokenFormat.hash(secret: secret)
        // Compare against a dummy when the id is unknown, so both paths do the same work.
        let expected = record?.secretSHA256 ?? [UInt8](repeating: 0, count: presented.count)
        guard TokenFormat.constantTimeEquals(presented, expected), let record, !record.revoked else {
            throw Self.unauthorized("invalid token")
        }
        return record.role
    }

    /// Admits an admin token, or a host token for `host`; 401/403 otherwise.
    func authorize(_ request: Request, host: String) async throws -> TokenRole {
        let role = try await role(of: request)
        switch role {
        case .admin:
            return role
        case .host(let name) where name == host:
            return role
        case .host:
            throw HTTPError(.forbidden, message: "this token is for another host")
        }
    }

    static func unauthorized(_ message: String) -> HTTPError {
        HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"apiary\""], message: message)
    }
}
