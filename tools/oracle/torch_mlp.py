"""Makes tools/oracle/torch_mlp.onnx: a small PyTorch MLP classifier (6 inputs, 3 classes,
softmax output) exported with torch.onnx.export. Committed because torch is too large to
install in CI; make_models.py checks mote against onnxruntime on it all the same.

    python torch_mlp.py            # torch 2.15 (PyPI), numpy, onnx
"""
import os

import numpy as np
import torch

torch.manual_seed(0)
rng = np.random.default_rng(11)
x = rng.normal(size=(3000, 6)).astype(np.float32)
logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
y = np.digitize(logit, [-1.0, 1.0])

model = torch.nn.Sequential(
    torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
for _ in range(200):
    optimizer.zero_grad()
    loss = torch.nn.functional.nll_loss(torch.log(model(xt) + 1e-9), yt)
    loss.backward()
    optimizer.step()
model.eval()
here = os.path.dirname(os.path.abspath(__file__))
# Both exporters: the TorchScript one (Gemm) and the dynamo one (torch's default).
out = os.path.join(here, "torch_mlp.onnx")
torch.onnx.export(model, (xt[:1],), out, input_names=["input"], output_names=["probabilities"], dynamic_axes={"input": {0: "batch"}}, dynamo=False)
out2 = os.path.join(here, "torch_mlp_dynamo.onnx")
batch = torch.export.Dim("batch")
program = torch.onnx.export(model, (xt[:4],), input_names=["input"], output_names=["probabilities"], dynamic_shapes=({0: batch},), dynamo=True)
program.save(out2, external_data=False)
print("wrote", out, out2, "final loss", float(loss))
