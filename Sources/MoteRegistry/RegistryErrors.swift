public import MoteCore

extension ErrorCode {
    /// A stored artifact no longer hashes to its digest: that version cannot be loaded or
    /// exported until it is restored (503).
    public static let artifactCorrupt: ErrorCode = "artifact_corrupt"
    /// An export file offered to import holds an artifact that does not have its declared size
    /// or digest (422).
    public static let exportCorrupt: ErrorCode = "export_corrupt"
    /// A shortened run id that starts more than one run's id (400).
    public static let ambiguousRunID: ErrorCode = "ambiguous_run_id"
}
