#!/usr/bin/env python3
"""Proves that dnb's model folders are diffusers' model folders, both ways.

1. dnb creates a UNet2DModel (tutorial config, and a small class-conditional one), saves it, and
   predicts the noise for a fixed input; diffusers loads the folder with from_pretrained and must
   give the same output (max abs difference <= 1e-4, the project's bound for float32 UNets).
2. diffusers saves a model; dnb loads it, predicts, and must match diffusers' output the same way.

  python3 tools/check_diffusers_roundtrip.py [--dnb .build/release/dnb]
Needs: pip install torch diffusers==0.32.2 numpy
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import safetensors.torch  # noqa: F401  (diffusers expects the submodule loaded)
import torch
from diffusers import UNet2DModel


def run_dnb(dnb, script, cwd):
    r = subprocess.run([dnb], input=script, text=True, capture_output=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"dnb failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def predict_torch(folder, x, t, labels):
    model = UNet2DModel.from_pretrained(folder).eval()
    with torch.no_grad():
        kw = {"class_labels": torch.tensor(labels)} if labels else {}
        return model(torch.tensor(x), torch.tensor(t), **kw).sample.numpy()


def check(name, a, b):
    err = float(np.abs(a - b).max())
    print(f"{name}: max abs difference {err:.2e}")
    return err <= 1e-4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dnb", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "dnb"))
    a = ap.parse_args()
    dnb = os.path.abspath(a.dnb)
    ok = True
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        cases = [("tutorial", "model create preset=tutorial seed=5", 32, None),
                 ("small, class-conditional", "model create preset=small num_class_embeds=10 seed=6", 32, [3, 7])]
        for name, create, size, labels in cases:
            x = rng.standard_normal((2, 1, size, size)).astype(np.float32)
            np.save(os.path.join(d, "x.npy"), x)
            t = [17, 803]
            cls = f" classes={labels}" if labels else ""
            run_dnb(dnb, f"""{create}
model save path={d}/dnb_model
load tensor path={d}/x.npy name=x
model predict name=x timesteps={t}{cls} into=y
save tensor name=y path={d}/y.npy
""", d)
            y_dnb = np.load(os.path.join(d, "y.npy"))
            ok &= check(f"dnb → diffusers ({name})", y_dnb, predict_torch(os.path.join(d, "dnb_model"), x, t, labels))

        torch.manual_seed(1)
        ref = UNet2DModel(sample_size=32, in_channels=1, out_channels=1, layers_per_block=2, block_out_channels=(32, 64, 64),
                          down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
                          up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"))
        ref.save_pretrained(os.path.join(d, "torch_model"))
        x = rng.standard_normal((2, 1, 32, 32)).astype(np.float32)
        np.save(os.path.join(d, "x.npy"), x)
        run_dnb(dnb, f"""model load path={d}/torch_model
load tensor path={d}/x.npy name=x
model predict name=x timesteps=[250, 999] into=y
save tensor name=y path={d}/y.npy
""", d)
        ok &= check("diffusers → dnb (tutorial)", np.load(os.path.join(d, "y.npy")), predict_torch(os.path.join(d, "torch_model"), x, [250, 999], None))
    print("all match" if ok else "MISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
