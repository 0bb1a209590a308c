/// Evaluation metrics on predictions.
public enum Metrics {
    /// Area under the ROC curve of scores for 0/1 labels (ties counted half).
    public static func auc(labels: [Double], scores: [Double]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var positives = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] > 0.5 {
                rankSumPositive += rank
                positives += 1
            }
            i = j + 1
        }
        let negatives = Double(order.count) - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Mean log loss of probabilities for 0/1 labels.
    public static func logLoss(labels: [Double], probabilities: [Double]) -> Double {
        guard !labels.isEmpty else { return 0 }
        var total = 0.0
        for (y, q) in zip(labels, probabilities) {
            let p = min(max(q, 1e-15), 1 - 1e-15)
            total -= y * _log(p) + (1 - y) * _log(1 - p)
        }
        return total / Double(labels.count)
    }

    /// Root mean squared error.
    public static func rmse(labels: [Double], predictions: [Double]) -> Double {
        guard !labels.isEmpty else { return 0 }
        var total = 0.0
        for (y, q) in zip(labels, predictions) { total += (y - q) * (y - q) }
        return (total / Double(labels.count)).squareRoot()
    }

    /// Share of correct 0/1 predictions at `threshold`.
    public static func accuracy(labels: [Double], probabilities: [Double], threshold: Double = 0.5) -> Double {
        guard !labels.isEmpty else { return 0 }
        var right = 0
        for (y, q) in zip(labels, probabilities) where (q >= threshold) == (y > 0.5) { right += 1 }
        return Double(right) / Double(labels.count)
    }
}

extension Metrics {
    /// Precision, recall and F1 of the positive class at `threshold` (0 where undefined).
    public static func precisionRecallF1(labels: [Double], probabilities: [Double], threshold: Double = 0.5)
        -> (precision: Double, recall: Double, f1: Double)
    {
        var truePositive = 0.0
        var falsePositive = 0.0
        var falseNegative = 0.0
        for (y, q) in zip(labels, probabilities) {
            let predicted = q >= threshold
            let actual = y > 0.5
            if predicted && actual { truePositive += 1 } else if predicted { falsePositive += 1 } else if actual { falseNegative += 1 }
        }
        let precision = truePositive + falsePositive > 0 ? truePositive / (truePositive + falsePositive) : 0
        let recall = truePositive + falseNegative > 0 ? truePositive / (truePositive + falseNegative) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return (precision, recall, f1)
    }

    /// Mean absolute error.
    public static func mae(labels: [Double], predictions: [Double]) -> Double {
        guard !labels.isEmpty else { return 0 }
        var total = 0.0
        for (y, q) in zip(labels, predictions) { total += abs(y - q) }
        return total / Double(labels.count)
    }

    /// Coefficient of determination (1 is perfect, 0 is the mean's fit; negative is worse).
    public static func r2(labels: [Double], predictions: [Double]) -> Double {
        guard !labels.isEmpty else { return 0 }
        let mean = labels.reduce(0, +) / Double(labels.count)
        var residual = 0.0
        var total = 0.0
        for (y, q) in zip(labels, predictions) {
            residual += (y - q) * (y - q)
            total += (y - mean) * (y - mean)
        }
        return total > 0 ? 1 - residual / total : 0
    }
}
