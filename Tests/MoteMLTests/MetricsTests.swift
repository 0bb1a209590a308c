import Testing
@testable import MoteML

@Suite("metrics")
struct MetricsTests {
    @Test("AUC, precision/recall/F1, accuracy, RMSE, MAE and R² on hand-checked cases")
    func known() {
        let y: [Double] = [0, 0, 1, 1]
        #expect(Metrics.auc(labels: y, scores: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        #expect(Metrics.auc(labels: y, scores: [0.5, 0.5, 0.5, 0.5]) == 0.5)
        let prf = Metrics.precisionRecallF1(labels: y, probabilities: [0.6, 0.2, 0.7, 0.4])
        #expect(prf.precision == 0.5 && prf.recall == 0.5 && prf.f1 == 0.5)
        #expect(Metrics.accuracy(labels: y, probabilities: [0.6, 0.2, 0.7, 0.4]) == 0.5)
        #expect(Metrics.rmse(labels: [1, 2, 3], predictions: [1, 2, 6]) == 3.0.squareRoot())
        #expect(Metrics.mae(labels: [1, 2, 3], predictions: [2, 2, 2]) == 2.0 / 3)
        #expect(Metrics.r2(labels: [1, 2, 3], predictions: [1, 2, 3]) == 1)
        #expect(Metrics.r2(labels: [1, 2, 3], predictions: [2, 2, 2]) == 0)
        #expect(abs(Metrics.logLoss(labels: [1, 0], probabilities: [0.5, 0.5]) - 0.6931471805599453) < 1e-12)
    }
}
