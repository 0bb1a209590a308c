import MoteFleet
import MoteImport
import Testing

/// `MLmodel` files as MLflow 3.17 writes them (copied from `mlflow.lightgbm.log_model`,
/// `mlflow.xgboost.log_model` and `mlflow.sklearn.log_model` output), and the flavour chosen.
@Suite("MLmodel files")
struct MLmodelFileTests {
    static let lightgbm = """
        artifact_path: mlflow-artifacts:/0/models/m-e9917ff8c1dc4d92994f8b31ec5f415c/artifacts
        flavors:
          lightgbm:
            code: null
            data: model.lgb
            lgb_version: 4.7.0
            model_class: lightgbm.basic.Booster
            serialization_format: skops
            skops_trusted_types:
            - lightgbm.basic.Booster
            - lightgbm.sklearn.LGBMRegressor
          python_function:
            data: model.lgb
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.lightgbm
            python_version: 3.11.7
        mlflow_version: 3.17.2
        model_id: m-e9917ff8c1dc4d92994f8b31ec5f415c
        model_size_bytes: 12050
        prompts: null
        run_id: e6bb2dff51284a3c96d92fb3aaf595ba
        signature:
          inputs: '[{"type": "double", "name": "s__f0", "required": true}, {"type": "double",
            "name": "s__f1", "required": true}, {"type": "double", "name": "s__f2", "required":
            true}]'
          outputs: null
        utc_time_created: '2026-12-01 23:39:18.332999'

        """

    @Test("a LightGBM Booster's directory: the lightgbm flavour's text model, with size and run")
    func lightgbm() {
        let file = MLmodelFile(Self.lightgbm)
        #expect(file.flavors["lightgbm"]?["data"] == "model.lgb")
        #expect(file.flavors["lightgbm"]?["model_class"] == "lightgbm.basic.Booster")
        #expect(file.flavors["python_function"]?["loader_module"] == "mlflow.lightgbm")
        #expect(file.flavors["python_function"]?["env"] == nil, "a nested mapping is not a scalar")
        #expect(file.modelSizeBytes == 12050)
        #expect(file.runID == "e6bb2dff51284a3c96d92fb3aaf595ba")
        #expect(file.choice() == .success(MLmodelFile.Choice(format: .lightgbm, file: "model.lgb")))
        // The folded signature did not leak keys of its own.
        #expect(file.flavors.keys.sorted() == ["lightgbm", "python_function"])
    }

    @Test("XGBoost in UBJSON and JSON is taken; the deprecated binary format is refused with what to do")
    func xgboost() {
        let text = """
            flavors:
              python_function:
                data: model.ubj
                loader_module: mlflow.xgboost
              xgboost:
                code: null
                data: model.ubj
                model_class: xgboost.core.Booster
                model_format: ubj
                xgb_version: 3.2.0
            """
        #expect(MLmodelFile(text).choice() == .success(MLmodelFile.Choice(format: .xgboost, file: "model.ubj")))
        let json = text.replacing("model.ubj", with: "model.json")
        #expect(MLmodelFile(json).choice() == .success(MLmodelFile.Choice(format: .xgboost, file: "model.json")))
        let old = text.replacing("model.ubj", with: "model.xgb").replacing("model_format: ubj", with: "model_format: xgb")
        guard case .failure(let failure) = MLmodelFile(old).choice() else {
            Issue.record("the .xgb format was taken")
            return
        }
        #expect(failure.reason.contains("model_format=\"ubj\""), "\(failure.reason)")
    }

    @Test("ONNX is taken; scikit-learn pickles and unknown flavours are refused naming what was found")
    func refusals() {
        let onnx = "flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.23.2\n  python_function:\n    data: model.onnx\n"
        #expect(MLmodelFile(onnx).choice() == .success(MLmodelFile.Choice(format: .onnx, file: "model.onnx")))
        let sklearn = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: cloudpickle\n"
        guard case .failure(let failure) = MLmodelFile(sklearn).choice() else {
            Issue.record("a pickle was taken")
            return
        }
        #expect(failure.reason.contains("python_function, sklearn") && failure.reason.contains("onnx (model.onnx)"), "\(failure.reason)")
        let wrapper = "flavors:\n  lightgbm:\n    data: model.pkl\n    model_class: lightgbm.sklearn.LGBMClassifier\n"
        guard case .failure(let w) = MLmodelFile(wrapper).choice() else {
            Issue.record("a pickled wrapper was taken")
            return
        }
        #expect(w.reason.contains("model.booster_"), "\(w.reason)")
        #expect(MLmodelFile("").flavors.isEmpty)
    }

    @Test("quoted keys and values, escaped quotes, comments and CRLF lines")
    func yamlDetails() {
        let text = "flavors:\r\n  # a comment\r\n  'onnx':\r\n    data: \"model.onnx\"\r\n    note: 'it''s: fine'\r\nrun_id: abc # trailing\r\n"
        let file = MLmodelFile(text)
        #expect(file.flavors["onnx"]?["data"] == "model.onnx")
        #expect(file.flavors["onnx"]?["note"] == "it's: fine")
    }
}
