/// What an outbox row tells the central host: written by the registry's changes (and by
/// monitoring's summaries), read by sync to mirror it. Stored as the raw value.
public enum OutboxKind: String, Sendable, Equatable, CaseIterable {
    case experimentCreated = "experiment_created"
    case runCreated = "run_created"
    case runLogged = "run_logged"
    case runFinished = "run_finished"
    case runArtifact = "run_artifact"
    case modelCreated = "model_created"
    case versionRegistered = "version_registered"
    case versionDeleted = "version_deleted"
    case aliasSet = "alias_set"
    case aliasDeleted = "alias_deleted"
    /// A served model's drift and live metrics (not a registry change).
    case monitoringSummary = "monitoring_summary"
    /// What the box decided about a centrally approved version (fleet): reported as a tag on
    /// the central version and the local evaluation's metrics on the device run.
    case fleetDecision = "fleet_decision"
    /// A shadow or canary rollout started, promoted, rolled back or stopped: reported as a tag
    /// and the live evidence's metrics on the device run.
    case rolloutDecision = "rollout_decision"
}
