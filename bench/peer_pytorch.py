#!/usr/bin/env python3
"""The PyTorch + diffusers baseline for `dnb bench`: the tutorial's training step and sampling loop.

Times exactly what dnb's benchmarks time, on the same machine, and prints JSON:
  python3 bench/peer_pytorch.py train --batch 128 --steps 5
  python3 bench/peer_pytorch.py sample --batch 64 --steps 50
Peak memory is the process's peak RSS (ru_maxrss), as dnb reports VmHWM.
Needs: pip install torch diffusers==0.32.2
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DModel

TUTORIAL = dict(
    sample_size=32, in_channels=1, out_channels=1, layers_per_block=2, block_out_channels=(32, 64, 64),
    down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
    up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
)
SMALL = dict(
    sample_size=32, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(16, 32, 32),
    down_block_types=("DownBlock2D",) * 3, up_block_types=("UpBlock2D",) * 3, norm_num_groups=8, add_attention=False,
)
# notebooks/quickstart.dnb's model: the small preset with a fourth level of 64 channels.
QUICKSTART = dict(SMALL, block_out_channels=(16, 32, 32, 64), down_block_types=("DownBlock2D",) * 4,
                  up_block_types=("UpBlock2D",) * 4)
CONFIGS = dict(tutorial=TUTORIAL, small=SMALL, quickstart=QUICKSTART)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "sample"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--config", choices=sorted(CONFIGS), default="tutorial")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = UNet2DModel(**CONFIGS[a.config])
    scheduler = DDPMScheduler(num_train_timesteps=1000)
    times = []
    if a.what == "train":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(a.batch, 1, 32, 32)
        for i in range(a.warmup + a.steps):
            start = time.perf_counter()
            noise = torch.randn_like(x)
            t = torch.randint(0, 1000, (a.batch,)).long()
            noisy = scheduler.add_noise(x, noise, t)
            loss = F.mse_loss(model(noisy, t, return_dict=False)[0], noise)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i >= a.warmup:
                times.append(time.perf_counter() - start)
    else:
        model.eval()
        for _ in range(1):  # one full run: 50 steps of batch 64 already take ~30 s here
            start = time.perf_counter()
            scheduler.set_timesteps(a.steps)
            sample = torch.randn(a.batch, 1, 32, 32)
            with torch.no_grad():
                for t in scheduler.timesteps:
                    sample = scheduler.step(model(sample, t).sample, t, sample).prev_sample
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(json.dumps({
        "name": a.what, "peer": "pytorch", "torch": torch.__version__, "batch": a.batch, "steps": a.steps,
        "config": a.config, "secondsPerStep": times, "medianSeconds": median, "imagesPerSecond": a.batch / median,
        "peakMemoryBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "threads": a.threads,
    }))


if __name__ == "__main__":
    main()
