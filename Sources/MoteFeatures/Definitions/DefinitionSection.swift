public import MoteCore

/// A kind of definition the definitions file carries beside entities and feature views
/// (`[[training_spec]]`, ...), owned by the module that uses it. The feature store reads,
/// stores, versions and plans its items without knowing what they mean; the owner gives
/// the meaning and reads its items back from `DefinitionSet.items(of:)`.
public protocol DefinitionSection: Sendable {
    /// The `[[table]]` name in the file, e.g. `training_spec`.
    var table: String { get }
    /// The key holding its items in the stored canonical JSON, e.g. `trainings`.
    var storedKey: String { get }
    /// The plan's `kind` for its items, e.g. `training`.
    var kind: String { get }
    /// Reads one table of the file; `features` holds the file's entities and views, then the
    /// stored ones, so that an item can name either.
    func read(_ table: TableReader, features: DefinitionSet) throws(ConfigFailure) -> DefinedItem
    /// What differs between two versions of one item, for the plan (empty: nothing).
    func changes(from old: JSONValue, to new: JSONValue) -> [String]
    /// A one-line description of a new item, for the plan.
    func summary(of item: JSONValue) -> String
}

/// One item of a `DefinitionSection`: its name and its canonical JSON document.
public struct DefinedItem: Sendable, Equatable {
    public var name: String
    public var document: JSONValue

    public init(name: String, document: JSONValue) {
        self.name = name
        self.document = document
    }
}
