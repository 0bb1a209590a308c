import MoteCore
@testable import MoteFeatures
import MoteML
import MoteModels
import MoteStorage
import MoteTraining
import Testing

@Suite("training specs")
struct TrainingSpecTests {
    static let base = baseDefinitions

    @Test("the documented training_spec shape is read, stored with the definitions and read back")
    func roundTrip() throws {
        let store = try makeStore()
        let text = Self.base + """
            [[training_spec]]
            name = "failure-gbdt"
            model = "failure"
            algorithm = "gbdt"
            objective = "binary"
            label = "labels:failed"
            features = ["sensor_stats:temp", "sensor_stats:mode"]
            window = "30d"
            holdout = 0.2
            params = { num_trees = 100, num_leaves = 31, learning_rate = 0.1 }
            schedule = { every = "6h", min_new_labels = 500 }
            promote = { metric = "auc", min_improvement = 0.002, guards = ["logloss"] }
            """
        let outcome = try store.apply(toml: text, dryRun: false, uid: 0)
        #expect(outcome.plan.items.contains { $0.kind == "training" && $0.action == .create })
        let spec = try #require(store.definitions.set.training("failure-gbdt"))
        #expect(spec.parameters == ["trees": 100, "num_leaves": 31, "learning_rate": 0.1])
        #expect(spec.everyNanos == 6 * 3_600_000_000_000 && spec.minNewLabels == 500)
        #expect(spec.promotion == PromotionPolicy(metric: .auc, direction: .maximize, minImprovement: 0.002, guards: [.logloss]))
        store.storage.close()  // as a restart would: the state directory is held by one store at a time
        let reopened = try makeStore(at: store.stateRoot)
        #expect(reopened.definitions.set.training("failure-gbdt") == spec)
        // Applying the same file again changes nothing.
        #expect(try reopened.apply(toml: text, dryRun: false, uid: 0).applied == false)
    }

    @Test("a spec that could not train is refused at apply, naming the key", arguments: [
        ("label = \"labels:nope\"", "label", "has no field 'nope'"),
        ("label = \"sensor_stats:temp\"", "label", "cannot also be a feature"),
        ("label = \"labels:failed\"\nparams = { depth = 3 }", "depth", "takes"),
        ("label = \"labels:failed\"\npromote = { metric = \"rmse\" }", "metric", "expected one of auc"),
        ("label = \"labels:failed\"\nholdout = 0.9", "holdout", "at most 0.5"),
        ("label = \"labels:failed\"\nalgorithm = \"svm\"", "algorithm", "expected one of"),
        ("label = \"labels:failed\"\nalgorithm = \"logistic\"\nobjective = \"regression\"", "objective", "does binary"),
        ("algorithm = \"isolation_forest\"\nobjective = \"binary\"", "objective", "has no objective"),
        ("label = \"labels:failed\"\nschedule = { every = \"1h\", evry = 3 }", "evry", "unknown key"),
        ("label = \"labels:failed\"\npromote = { metric = \"auc\", direction = \"sideways\" }", "direction", "maximize"),
        ("label = \"labels:failed\"\npromote = { metric = \"auc\", guards = [\"r2\"] }", "guards", "not a metric of a binary model"),
    ])
    func refused(extra: String, key: String, message: String) throws {
        let store = try makeStore()
        var lines = ["[[training_spec]]", "name = \"t\"", "features = [\"sensor_stats:temp\"]"]
        if !extra.contains("algorithm") { lines.append("algorithm = \"gbdt\"") }
        lines.append(extra)
        let text = Self.base + lines.joined(separator: "\n") + "\n"
        do {
            _ = try store.apply(toml: text, dryRun: false, uid: 0)
            Issue.record("applied: \(text)")
        } catch let error as DomainError {
            #expect(error.message.contains(key), "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        }
        #expect(store.definitions.version == 0, "nothing stored")
    }

    @Test("a float label makes a regression, a bool one a binary classifier; isolation forest takes no label")
    func tasks() throws {
        let store = try makeStore()
        _ = try store.apply(
            toml: Self.base + """
                [[training_spec]]
                name = "hours"
                algorithm = "gbdt"
                label = "labels:hours"
                features = ["sensor_stats:temp"]

                [[training_spec]]
                name = "odd"
                algorithm = "isolation_forest"
                features = ["sensor_stats:temp", "sensor_stats:count"]
                """, dryRun: false, uid: 0)
        #expect(store.definitions.set.training("hours")?.task == .regression)
        #expect(store.definitions.set.training("hours")?.promotion?.metric == .rmse)
        #expect(store.definitions.set.training("hours")?.promotion?.direction == .minimize)
        #expect(store.definitions.set.training("odd")?.task == .anomaly)
        #expect(store.definitions.set.training("odd")?.promotion == nil)
        #expect(store.definitions.set.training("odd")?.model == "odd")
    }
}
