#!/usr/bin/env python3
"""Scores generated digits with an MNIST classifier: the share labelled with confidence >= 0.9.

The same measure as ../shared/notes/platform.md's table (where real test digits score ~98%).
The classifier (a small CNN on 32x32 PIL-resized MNIST in [0, 1]) is trained once, ~3 minutes on
2 cores, and cached in bench/.cache/; on the 10,000 real test digits it is 99% accurate and 98%
confident, like the notes' classifier, so shares compare with the notes' table. Samples: an .npy of NCHW images as `dnb save tensor` writes.

  python3 bench/score_samples.py out/quickstart/samples.npy --range symmetric [--labels 0 1 2 ...]
Prints JSON: confident share, mean confidence, class histogram, and (with --labels) the share
classified as the requested digit. Needs: pip install torch numpy pillow
"""
import argparse
import gzip
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")


def find_mnist():
    for d in [os.environ.get("DNB_DATA"), os.path.expanduser("~/.cache/dnb/mnist"), os.path.join(HERE, "..", "..", "shared", "data", "mnist")]:
        if d and os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
            return d
    raise SystemExit("MNIST not found: set DNB_DATA, or run dnb once so that it fetches MNIST into ~/.cache/dnb/mnist")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8)


def load(split):
    d = find_mnist()
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(d, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(d, f"{prefix}-labels-idx1-ubyte.gz"))
    x32 = np.stack([np.asarray(Image.fromarray(im).resize((32, 32), Image.BILINEAR)) for im in x])
    return torch.tensor(x32, dtype=torch.float32).unsqueeze(1) / 255.0, torch.tensor(y.astype(np.int64))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        return self.fc(x.flatten(1))


def classifier():
    path = os.path.join(CACHE, "mnist_classifier_v2.pt")
    model = Classifier()
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
        return model.eval()
    torch.manual_seed(0)
    x, y = load("train")
    epochs, batch = 4, 128
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * ((len(x) + batch - 1) // batch))
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), batch):
            idx = perm[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    os.makedirs(CACHE, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def score(model, images, labels=None):
    with torch.no_grad():
        p = F.softmax(model(images), dim=1)
    conf, cls = p.max(dim=1)
    out = {"count": len(images), "confident_share": float((conf >= 0.9).float().mean()),
           "mean_confidence": float(conf.mean()), "histogram": np.bincount(cls.numpy(), minlength=10).tolist()}
    if labels is not None:
        lab = torch.tensor(labels)
        out["requested_share"] = float(((cls == lab) & (conf >= 0.9)).float().mean())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("samples", nargs="?", help=".npy of NCHW images (omit to score real test digits)")
    ap.add_argument("--range", choices=["unit", "symmetric"], default="unit", help="the samples' value range")
    ap.add_argument("--labels", type=int, nargs="*", help="requested class of each sample (cycled)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    model = classifier()
    if a.samples is None:
        x, y = load("test")
        with torch.no_grad():
            accuracy = float((model(x).argmax(1) == y).float().mean())
        print(json.dumps({"real_test_digits": score(model, x), "accuracy": accuracy}))
        return
    x = torch.tensor(np.load(a.samples), dtype=torch.float32)
    if a.range == "symmetric":
        x = (x + 1) / 2
    x = x.clamp(0, 1)
    labels = None if a.labels is None else [a.labels[i % len(a.labels)] for i in range(len(x))]
    print(json.dumps(score(model, x, labels)))


if __name__ == "__main__":
    main()
