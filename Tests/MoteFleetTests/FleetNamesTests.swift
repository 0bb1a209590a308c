@testable import MoteFleet
import Testing

/// Which central models a box follows, and where their files are fetched from.
@Suite("fleet names and paths")
struct FleetNamesTests {
    @Test("this box's own mirrors are never followed back down; other names are")
    func mirrors() {
        #expect(FleetWorker.isOwnMirror("box-a.failure", template: "<device_id>.<model>", device: "box-a"))
        #expect(!FleetWorker.isOwnMirror("box-b.failure", template: "<device_id>.<model>", device: "box-a"), "another box's mirror is a name like any")
        #expect(!FleetWorker.isOwnMirror("failure", template: "<device_id>.<model>", device: "box-a"))
        #expect(!FleetWorker.isOwnMirror("box-a.", template: "<device_id>.<model>", device: "box-a"), "an empty model part is not a mirror")
        #expect(FleetWorker.isOwnMirror("edge/box-a/failure-model", template: "edge/<device_id>/<model>-model", device: "box-a"))
        #expect(FleetWorker.isOwnMirror("failure", template: "<model>", device: "box-a"), "a template without the device mirrors every name")
    }

    @Test("artifact URIs served by the tracking server's proxy become proxy paths; others and climbing paths are refused")
    func proxyPaths() {
        #expect(CentralRegistry.proxyPath("mlflow-artifacts:/0/models/m-1/artifacts") == "0/models/m-1/artifacts")
        #expect(CentralRegistry.proxyPath("mlflow-artifacts://mlflow.example.com:5000/3/abc/artifacts/model") == "3/abc/artifacts/model")
        #expect(CentralRegistry.proxyPath("s3://bucket/3/abc/artifacts/model") == nil)
        #expect(CentralRegistry.proxyPath("mlflow-artifacts:/") == nil)
        #expect(CentralRegistry.proxyPath("mlflow-artifacts:/0/../../etc") == nil)
    }
}
