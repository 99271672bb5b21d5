#!/usr/bin/env python3
"""The quickstart recipe in PyTorch + diffusers, trained for a fixed wall-clock budget, for a fair comparison.

The recipe is the best one in ../shared/notes/platform.md's 480-second table: UNet (16, 32, 32) (or
--block-out-channels, e.g. the quickstart's) without attention, 1 layer per block, GroupNorm 8,
data in [-1, 1], batch 32, Adam lr 2e-3 with 200 warm-up steps and cosine decay to zero, EMA 0.999
(diffusers' EMAModel warm-up of the decay), 50-step DDIM (trailing) from the EMA weights.

With --seconds S the cosine decay follows the elapsed time after the warm-up, so the schedule ends
exactly when the budget does whatever the machine's speed (a horizon in steps estimated from the
first steps ended early on a machine whose speed drifts); --steps N fixes the horizon in steps.
Writes the samples as an .npy (NCHW, [-1, 1]) for bench/score_samples.py and prints JSON.

  python3 bench/peer_quickstart.py --seconds 480 --samples 512 --out /tmp/peer.npy [--class-conditional]
Needs: pip install torch diffusers==0.32.2 numpy pillow
"""
import argparse
import copy
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DModel

from score_samples import load


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, help="training budget in seconds (the cosine ends with it)")
    p.add_argument("--steps", type=int, help="training steps (instead of --seconds)")
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--class-conditional", action="store_true")
    p.add_argument("--block-out-channels", type=int, nargs="+", default=[16, 32, 32],
                   help="one DownBlock2D/UpBlock2D level per entry (the notes' recipe: 16 32 32)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if (a.seconds is None) == (a.steps is None):
        raise SystemExit("give exactly one of --seconds and --steps")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    x, y = load("train")
    x = x * 2 - 1
    model = UNet2DModel(
        sample_size=32, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=tuple(a.block_out_channels),
        down_block_types=("DownBlock2D",) * len(a.block_out_channels), up_block_types=("UpBlock2D",) * len(a.block_out_channels),
        norm_num_groups=8,
        add_attention=False, num_class_embeds=10 if a.class_conditional else None)
    ema = copy.deepcopy(model).requires_grad_(False)
    noise_scheduler = DDPMScheduler(num_train_timesteps=1000)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    peak, warmup, batch = 2e-3, 200, 32
    total = a.steps or 10**9

    warmup_end = None  # seconds into the run when the warm-up finished

    def lr_at(step, elapsed):
        if step < warmup:
            return peak * (step + 1) / warmup
        if a.seconds is not None:
            progress = min(1.0, (elapsed - warmup_end) / max(1e-9, a.seconds - warmup_end))
        else:
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return peak * 0.5 * (1 + math.cos(math.pi * progress))

    start = time.perf_counter()
    step, perm, cursor = 0, torch.randperm(len(x)), 0
    while step < total:
        elapsed = time.perf_counter() - start
        if a.seconds is not None and elapsed >= a.seconds:
            break
        if step == warmup:
            warmup_end = elapsed
        if cursor + batch > len(x):
            perm, cursor = torch.randperm(len(x)), 0
        idx = perm[cursor:cursor + batch]
        cursor += batch
        clean, labels = x[idx], y[idx]
        noise = torch.randn_like(clean)
        t = torch.randint(0, 1000, (batch,)).long()
        noisy = noise_scheduler.add_noise(clean, noise, t)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, elapsed)
        pred = model(noisy, t, class_labels=labels if a.class_conditional else None, return_dict=False)[0]
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, q in zip(ema.parameters(), model.parameters()):
                e.lerp_(q, 1 - decay)
        step += 1
    train_seconds = time.perf_counter() - start

    sampler = DDIMScheduler(num_train_timesteps=1000, timestep_spacing="trailing")
    sampler.set_timesteps(50)
    ema.eval()
    images = []
    with torch.no_grad():
        for first in range(0, a.samples, 128):
            n = min(128, a.samples - first)
            image = torch.randn(n, 1, 32, 32)
            labels = torch.arange(first, first + n) % 10 if a.class_conditional else None
            for t in sampler.timesteps:
                eps = ema(image, t, class_labels=labels, return_dict=False)[0]
                image = sampler.step(eps, t, image).prev_sample
            images.append(image)
    np.save(a.out, torch.cat(images).numpy())
    print(json.dumps({"steps": step, "train_seconds": round(train_seconds, 1),
                      "steps_per_second": round(step / train_seconds, 2), "last_loss": loss.item()}))


if __name__ == "__main__":
    main()
