/// Everything the order store refuses or fails at, with enough context to act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database file does not exist (and the operation does not create one).
    case missingDatabase(path: String)
    /// SQLite could not open, migrate or write the database.
    case database(path: String, message: String)
    /// The plan cannot become orders (an assignment names an unknown service, …).
    case invalidPlan(String)
    /// `--check-generation` / `base_generation` named a generation that is no longer the latest.
    case staleGeneration(expected: Int, latest: Int)
    /// The plan was made from an inventory an already-superseded generation came from.
    case olderInventory(digest: String, seenIn: Int, latest: Int, latestDigest: String?)
    case unknownGeneration(Int)
    case unknownToken(String)

    public var description: String {
        switch self {
        case .missingDatabase(let path):
            return "\(path): no such database (expected an apiary store; create one with `apiary apply` or `apiary token issue`)"
        case .database(let path, let message):
            return "\(path): \(message)"
        case .invalidPlan(let message):
            return "invalid plan: \(message)"
        case .staleGeneration(let expected, let latest):
            return "refusing to apply: the plan expects generation \(expected) to be the latest, but the latest is \(latest) "
                + "(someone applied a plan since; re-plan, or pass --force)"
        case .olderInventory(let digest, let seenIn, let latest, let latestDigest):
            return "refusing to apply: the plan was made from inventory \(digest.prefix(12)) of generation \(seenIn), "
                + "but generation \(latest) was applied from a newer inventory \(latestDigest.map { String($0.prefix(12)) } ?? "(none)") "
                + "(re-plan from the current inventory, or pass --force)"
        case .unknownGeneration(let generation):
            return "no generation \(generation) in the store (see `apiary history`)"
        case .unknownToken(let id):
            return "no token with id \(id)"
        }
    }
}
