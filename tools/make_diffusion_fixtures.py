#!/usr/bin/env python3
"""Reference fixtures for DNBDiffusion from diffusers 0.32.2 / torch (CPU, float32).

Writes Tests/DNBDiffusionTests/Fixtures/:
  scheduler_tables.safetensors   betas / alphas_cumprod for each beta_schedule
  scheduler_timesteps.json       set_timesteps(n) for each spacing and steps_offset (DDPM and DDIM)
  scheduler_steps.safetensors    add_noise and step() outputs with the variance noise supplied
  small_unet/                    a small class-conditional UNet2DModel saved by save_pretrained
  small_unet_step.safetensors    its forward output, loss, every parameter gradient, parameters after one Adam step
  tutorial_unet.safetensors      the tutorial config's forward output with synthetic weights (see synthetic_value)
  solvers.safetensors            DPMSolverMultistepScheduler and EulerDiscreteScheduler: timesteps and sigmas per config
                                 and step count, each step's output with supplied model outputs, and a full loop with a
                                 fixed "model" (0.1 · model input + 0.001 · t)
  keys_unet/, keys_unet.safetensors
                                 a UNet2DModel setting the keys dnb reads beyond the tutorial's (attn_norm_num_groups,
                                 time_embedding_dim, flip_sin_to_cos, freq_shift, mid_block_scale_factor,
                                 center_input_sample, norm_eps), saved by save_pretrained, and its forward output

Re-run: python3 tools/make_diffusion_fixtures.py [NAME …]   (NAME: scheduler, solvers, small_unet, tutorial_unet, keys_unet;
default all; needs: pip install torch diffusers==0.32.2 safetensors)
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, EulerDiscreteScheduler, UNet2DModel
from diffusers.utils.torch_utils import randn_tensor
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "DNBDiffusionTests", "Fixtures")
torch.set_num_threads(2)
MASK = (1 << 64) - 1


def synthetic_value(name, index):
    """A uniform value in [-1, 1) from the parameter's name and flat (PyTorch-layout) index.

    FNV-1a of the name, mixed with the index and finished with SplitMix64, so the
    Swift tests build identical weights without shipping them (1.7 M parameters).
    """
    h = 0xCBF29CE484222325
    for b in name.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    z = (h ^ ((index * 0x9E3779B97F4A7C15) & MASK)) & MASK
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    z ^= z >> 31
    return (z >> 40) * 2.0 ** -24 * 2 - 1


def fill_synthetic(model):
    """weights: u/sqrt(fan_in); biases: 0.1u; norm scales: 1 + 0.1u; embeddings: u."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            u = torch.tensor([synthetic_value(name, i) for i in range(p.numel())], dtype=torch.float64)
            if "norm" in name and name.endswith("weight"):
                v = 1 + 0.1 * u
            elif name.endswith("bias"):
                v = 0.1 * u
            elif p.dim() >= 2 and "class_embedding" not in name:
                v = u / math.sqrt(p[0].numel())
            else:
                v = u
            p.copy_(v.to(torch.float32).view_as(p))


def scheduler_fixtures():
    tables = {}
    for sched in ["linear", "scaled_linear", "squaredcos_cap_v2"]:
        s = DDPMScheduler(beta_schedule=sched)
        tables[f"{sched}.betas"] = s.betas.clone()
        tables[f"{sched}.alphas_cumprod"] = s.alphas_cumprod.clone()
    s = DDPMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=500)
    tables["scaled_linear_500.alphas_cumprod"] = s.alphas_cumprod.clone()
    save_file(tables, os.path.join(OUT, "scheduler_tables.safetensors"))

    timesteps = {}
    for cls in [DDPMScheduler, DDIMScheduler]:
        for spacing in ["leading", "trailing", "linspace"]:
            for offset in [0, 1]:
                # 999 steps only once per spacing: the lists are long and add nothing per offset.
                for n in [1, 2, 3, 5, 7, 10, 50, 300] + ([999] if offset == 0 and cls is DDPMScheduler else []):
                    s = cls(timestep_spacing=spacing, steps_offset=offset)
                    s.set_timesteps(n)
                    timesteps[f"{cls.__name__}.{spacing}.{offset}.{n}"] = s.timesteps.tolist()
    with open(os.path.join(OUT, "scheduler_timesteps.json"), "w") as f:
        json.dump(timesteps, f, sort_keys=True)

    g = torch.Generator().manual_seed(0)
    steps = {}
    x = torch.rand(4, 1, 4, 4, generator=g)
    noise = torch.randn(4, 1, 4, 4, generator=g)
    t = torch.tensor([0, 10, 500, 999])
    steps["add_noise.x"], steps["add_noise.noise"], steps["add_noise.t"] = x, noise, t
    steps["add_noise.y"] = DDPMScheduler().add_noise(x, noise, t)

    out = torch.randn(2, 1, 4, 4, generator=g) * 0.8
    sample = torch.randn(2, 1, 4, 4, generator=g) * 1.5
    steps["step.model_output"], steps["step.sample"] = out, sample
    # DDPM: the variance noise is randn_tensor(shape, generator) — drawn here with the same seed.
    steps["step.variance_noise"] = randn_tensor(out.shape, generator=torch.Generator().manual_seed(7))
    for pred in ["epsilon", "sample", "v_prediction"]:
        for var in ["fixed_small", "fixed_large"]:
            for clip in [True, False]:
                for n, t in [(10, 900), (10, 0), (None, 500), (2, 500), (1, 0), (7, 426)]:
                    s = DDPMScheduler(prediction_type=pred, variance_type=var, clip_sample=clip)
                    if n is not None:
                        s.set_timesteps(n)
                    r = s.step(out, t, sample, generator=torch.Generator().manual_seed(7))
                    key = f"ddpm.{pred}.{var}.{int(clip)}.{n}.{t}"
                    steps[key + ".prev"], steps[key + ".x0"] = r.prev_sample, r.pred_original_sample
    for pred in ["epsilon", "sample", "v_prediction"]:
        for eta in [0.0, 0.5]:
            for clip in [True, False]:
                for n, t in [(10, 900), (10, 0), (50, 980), (3, 333)]:
                    s = DDIMScheduler(prediction_type=pred, clip_sample=clip)
                    s.set_timesteps(n)
                    r = s.step(out, t, sample, eta=eta, variance_noise=steps["step.variance_noise"])
                    key = f"ddim.{pred}.{eta}.{int(clip)}.{n}.{t}"
                    steps[key + ".prev"], steps[key + ".x0"] = r.prev_sample, r.pred_original_sample
    save_file({k: v.clone().contiguous() for k, v in steps.items()}, os.path.join(OUT, "scheduler_steps.safetensors"))


# name → (class, config) for solvers_fixtures; the Swift test builds the same config from the name's keys.
SOLVER_CONFIGS = {
    "dpm.default": (DPMSolverMultistepScheduler, {}),
    "dpm.karras": (DPMSolverMultistepScheduler, dict(use_karras_sigmas=True)),
    "dpm.order1": (DPMSolverMultistepScheduler, dict(solver_order=1)),
    "dpm.heun": (DPMSolverMultistepScheduler, dict(solver_type="heun")),
    "dpm.sigma_min": (DPMSolverMultistepScheduler, dict(final_sigmas_type="sigma_min")),
    "dpm.no_lower_order_final": (DPMSolverMultistepScheduler, dict(lower_order_final=False, final_sigmas_type="sigma_min")),
    "dpm.euler_at_final": (DPMSolverMultistepScheduler, dict(euler_at_final=True, final_sigmas_type="sigma_min")),
    "dpm.v_prediction": (DPMSolverMultistepScheduler, dict(prediction_type="v_prediction")),
    "dpm.sample": (DPMSolverMultistepScheduler, dict(prediction_type="sample")),
    "dpm.leading": (DPMSolverMultistepScheduler, dict(timestep_spacing="leading", steps_offset=1)),
    "dpm.trailing": (DPMSolverMultistepScheduler, dict(timestep_spacing="trailing")),
    "dpm.cosine": (DPMSolverMultistepScheduler, dict(beta_schedule="squaredcos_cap_v2")),
    "dpm.thresholding": (DPMSolverMultistepScheduler, dict(thresholding=True)),
    "dpm.thresholding_quantile": (DPMSolverMultistepScheduler, dict(thresholding=True, prediction_type="sample", sample_max_value=3.0, dynamic_thresholding_ratio=0.9)),
    "euler.default": (EulerDiscreteScheduler, {}),
    "euler.karras": (EulerDiscreteScheduler, dict(use_karras_sigmas=True)),
    "euler.sigma_min": (EulerDiscreteScheduler, dict(final_sigmas_type="sigma_min")),
    "euler.v_prediction": (EulerDiscreteScheduler, dict(prediction_type="v_prediction")),
    "euler.sample": (EulerDiscreteScheduler, dict(prediction_type="sample")),
    "euler.leading": (EulerDiscreteScheduler, dict(timestep_spacing="leading", steps_offset=1)),
    "euler.trailing": (EulerDiscreteScheduler, dict(timestep_spacing="trailing")),
}


def solvers_fixtures():
    """For each config: `<name>.<n>.timesteps` / `.sigmas` after set_timesteps(n); `<name>.chain<n>.<i>` the sample
    after step i when step i is given `chain.output.<i>` and the previous step's sample (`chain.sample` first);
    `<name>.loop` the end of a 10-step loop from `loop.start` · init_noise_sigma with the model
    0.1 · scale_model_input(x, t) + 0.001 · t."""
    g = torch.Generator().manual_seed(3)
    out = {"chain.sample": torch.randn(2, 1, 4, 4, generator=g) * 2, "loop.start": torch.randn(2, 1, 4, 4, generator=g)}
    for i in range(20):
        out[f"chain.output.{i}"] = torch.randn(2, 1, 4, 4, generator=g)
    for name, (cls, config) in SOLVER_CONFIGS.items():
        for n in [1, 2, 3, 5, 10, 15, 20, 50]:
            s = cls(**config)
            s.set_timesteps(n)
            out[f"{name}.{n}.timesteps"] = s.timesteps.to(torch.float32)
            out[f"{name}.{n}.sigmas"] = s.sigmas.to(torch.float32)
        for n in [5, 20]:
            s = cls(**config)
            s.set_timesteps(n)
            x = out["chain.sample"]
            for i, t in enumerate(s.timesteps):
                s.scale_model_input(x, t)
                x = s.step(out[f"chain.output.{i}"], t, x).prev_sample
                out[f"{name}.chain{n}.{i}"] = x
        s = cls(**config)
        s.set_timesteps(10)
        x = out["loop.start"] * s.init_noise_sigma
        for t in s.timesteps:
            x = s.step(0.1 * s.scale_model_input(x, t) + 0.001 * t.to(torch.float32), t, x).prev_sample
        out[f"{name}.loop"] = x
    save_file({k: v.clone().contiguous() for k, v in out.items()}, os.path.join(OUT, "solvers.safetensors"))


SMALL_CONFIG = dict(
    sample_size=8, in_channels=1, out_channels=1, layers_per_block=1, block_out_channels=(4, 8, 8),
    down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
    up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=4, norm_num_groups=2, num_class_embeds=3,
)

TUTORIAL_CONFIG = dict(
    sample_size=32, in_channels=1, out_channels=1, layers_per_block=2, block_out_channels=(32, 64, 64),
    down_block_types=("DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"),
    up_block_types=("AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
)


def small_unet_fixtures():
    torch.manual_seed(0)
    model = UNet2DModel(**SMALL_CONFIG)
    fill_synthetic(model)
    model.save_pretrained(os.path.join(OUT, "small_unet"))
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 1, 8, 8, generator=g)
    noise = torch.randn(2, 1, 8, 8, generator=g)
    t = torch.tensor([3, 700])
    labels = torch.tensor([0, 2])
    noisy = DDPMScheduler().add_noise(x, noise, t)
    pred = model(noisy, t, class_labels=labels, return_dict=False)[0]
    loss = F.mse_loss(pred, noise)
    loss.backward()
    d = {"x": x, "noise": noise, "t": t, "labels": labels, "noisy": noisy, "pred": pred.detach(), "loss": loss.detach()}
    for name, p in model.named_parameters():
        d["grad." + name] = p.grad.clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    opt.step()
    for name, p in model.named_parameters():
        d["after." + name] = p.detach().clone()
    save_file({k: v.contiguous() for k, v in d.items()}, os.path.join(OUT, "small_unet_step.safetensors"))


def tutorial_unet_fixture():
    model = UNet2DModel(**TUTORIAL_CONFIG)
    fill_synthetic(model)
    x = torch.tensor([synthetic_value("input", i) for i in range(2 * 32 * 32)], dtype=torch.float32).view(2, 1, 32, 32)
    with torch.no_grad():
        y = model(x, torch.tensor([17, 803])).sample
    save_file({"x": x, "y": y, "t": torch.tensor([17, 803])}, os.path.join(OUT, "tutorial_unet.safetensors"),
              metadata={"parameters": str(sum(p.numel() for p in model.parameters()))})


KEYS_CONFIG = dict(
    sample_size=8, in_channels=2, out_channels=1, layers_per_block=1, block_out_channels=(8, 16),
    down_block_types=("DownBlock2D", "AttnDownBlock2D"), up_block_types=("AttnUpBlock2D", "UpBlock2D"),
    attention_head_dim=4, norm_num_groups=4, attn_norm_num_groups=2, time_embedding_dim=24,
    flip_sin_to_cos=False, freq_shift=1, mid_block_scale_factor=1.5, center_input_sample=True, norm_eps=1e-4,
)


def keys_unet_fixture():
    model = UNet2DModel(**KEYS_CONFIG)
    fill_synthetic(model)
    model.save_pretrained(os.path.join(OUT, "keys_unet"))
    x = torch.tensor([synthetic_value("input", i) for i in range(2 * 2 * 8 * 8)], dtype=torch.float32).view(2, 2, 8, 8)
    with torch.no_grad():
        y = model(x, torch.tensor([5, 911])).sample
    save_file({"x": x, "y": y, "t": torch.tensor([5, 911])}, os.path.join(OUT, "keys_unet.safetensors"))


if __name__ == "__main__":
    import sys
    os.makedirs(OUT, exist_ok=True)
    makers = {"scheduler": scheduler_fixtures, "solvers": solvers_fixtures, "small_unet": small_unet_fixtures,
              "tutorial_unet": tutorial_unet_fixture, "keys_unet": keys_unet_fixture}
    for name in sys.argv[1:] or list(makers):
        makers[name]()
    print("wrote", OUT)
