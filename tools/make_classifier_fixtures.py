#!/usr/bin/env python3
"""Write the PyTorch reference fixtures for the classifier's engine ops (ReLU, max pooling, cross-entropy).

    python3 tools/make_classifier_fixtures.py            # writes Tests/DNBEngineTests/Fixtures/{relu,max_pool2d,cross_entropy}.safetensors
    python3 tools/make_classifier_fixtures.py --out DIR  # somewhere else

The same conventions as make_engine_fixtures.py (x, y, gy, dx; NCHW activations; settings in
__metadata__), but it needs only torch and safetensors. The snippet that produced each file is
quoted above its function.
"""

import argparse
import os

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "Tests", "DNBEngineTests", "Fixtures")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


def save(out, name, tensors, metadata):
    md = {"case": name, "generator": "tools/make_classifier_fixtures.py", "torch": torch.__version__}
    md.update({k: str(v) for k, v in metadata.items()})
    clean = {k: v.detach().contiguous() for k, v in tensors.items()}
    path = os.path.join(out, name + ".safetensors")
    # Rewrite only when the tensors differ, so a re-run does not churn git (metadata key order varies).
    if os.path.exists(path):
        old = load_file(path)
        if old.keys() == clean.keys() and all(torch.equal(old[k], clean[k]) for k in clean):
            print(f"{name}: unchanged")
            return
    save_file(clean, path, metadata=md)
    print(f"{name}: written " + ", ".join(f"{k}{list(v.shape)}" for k, v in clean.items()))


# relu
#   torch.manual_seed(901)
#   x = torch.randn(3, 2, 4, 5); x[0, 0, 0, :2] = 0.0     # exact zeros: no gradient there
#   y = F.relu(x); gy = torch.randn_like(y); y.backward(gy)
def make_relu(out):
    torch.manual_seed(901)
    x = torch.randn(3, 2, 4, 5)
    x[0, 0, 0, :2] = 0.0
    x.requires_grad_()
    y = F.relu(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "relu", dict(x=x, y=y, gy=gy, dx=x.grad), dict(layout="x/y NCHW"))


# max_pool2d
#   torch.manual_seed(902)
#   x = torch.randn(2, 3, 6, 7)            # odd width: the last column is dropped (floor mode)
#   x[0, 0, 0, 0] = x[0, 0, 0, 1] = 5.0    # a tie: the gradient goes to the first maximum
#   y = F.max_pool2d(x, kernel_size=2, stride=2); gy = torch.randn_like(y); y.backward(gy)
def make_max_pool(out):
    torch.manual_seed(902)
    x = torch.randn(2, 3, 6, 7)
    x[0, 0, 0, 0] = 5.0
    x[0, 0, 0, 1] = 5.0
    x.requires_grad_()
    y = F.max_pool2d(x, kernel_size=2, stride=2)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "max_pool2d", dict(x=x, y=y, gy=gy, dx=x.grad), dict(kernel=2, stride=2, layout="x/y NCHW"))


# cross_entropy
#   torch.manual_seed(903)
#   logits = torch.randn(6, 10) * 3; logits[2, 7] = 60.0     # a large logit: max subtraction
#   labels = torch.tensor([0, 3, 7, 9, 1, 7])
#   y = F.cross_entropy(logits, labels)                       # mean over the batch, 0-d
#   gy = torch.tensor(0.5); y.backward(gy)
def make_cross_entropy(out):
    torch.manual_seed(903)
    logits = torch.randn(6, 10) * 3
    logits[2, 7] = 60.0
    logits.requires_grad_()
    labels = torch.tensor([0, 3, 7, 9, 1, 7])
    y = F.cross_entropy(logits, labels)
    gy = torch.tensor(0.5)
    y.backward(gy)
    save(out, "cross_entropy", dict(logits=logits, labels=labels, y=y, gy=gy, dlogits=logits.grad),
         dict(reduction="mean"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    make_relu(args.out)
    make_max_pool(args.out)
    make_cross_entropy(args.out)


if __name__ == "__main__":
    main()
