#!/usr/bin/env python3
"""Write the PyTorch reference fixtures for the DNBEngine tests.

    python3 tools/make_engine_fixtures.py            # writes Tests/DNBEngineTests/Fixtures/*.safetensors
    python3 tools/make_engine_fixtures.py --out DIR  # somewhere else (e.g. to diff a re-run)

Everything runs on the CPU in float32 with fixed seeds (each case seeds its own generator, so
cases are independent of one another and of their order). Tensors are stored in PyTorch's own
layouts (NCHW activations, OIHW conv weights, [out, in] linear weights); the Swift tests convert.

Naming convention inside each file:
    x, weight, bias, ...   inputs and parameters
    y                      output of the forward pass
    gy                     a fixed random upstream gradient (y.backward(gy))
    dx, dweight, dbias     gradients of the inputs/parameters with respect to sum(y * gy)
Scalar settings of each case (stride, padding, eps, heads, ...) are in the file's __metadata__
(all values are strings, as the format requires), together with the producing versions.

The snippet that produced each file is quoted in the comment at the top of its section.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

import diffusers
from diffusers.models.attention_processor import Attention
from diffusers.models.embeddings import get_timestep_embedding

import PIL
from PIL import Image
import torchvision
from torchvision import transforms

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO, "Tests", "DNBEngineTests", "Fixtures")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
torch.set_default_dtype(torch.float32)


def base_metadata(case):
    return {
        "case": case,
        "generator": "tools/make_engine_fixtures.py",
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "torchvision": torchvision.__version__,
        "pillow": PIL.__version__,
    }


def save(out, filename, tensors, metadata):
    md = base_metadata(filename.rsplit(".", 1)[0])
    md.update({k: str(v) for k, v in metadata.items()})
    clean = {}
    for k, v in tensors.items():
        v = v.detach().contiguous().cpu()
        if v.is_floating_point() and not filename.startswith("safetensors_dtypes"):
            assert v.dtype == torch.float32, (k, v.dtype)
        clean[k] = v
    path = os.path.join(out, filename)
    # The library serializes __metadata__ from a hash map, so its key order (and thus the bytes)
    # changes from run to run. Leave a file alone when its content is already identical, so a
    # re-run does not churn git.
    status = "unchanged" if same_content(path, clean, md) else "written"
    if status == "written":
        save_file(clean, path, metadata=md)
    print(f"{filename:36s} {os.path.getsize(path):7d} bytes {status:9s} " + ", ".join(
        f"{k}{list(v.shape)}" for k, v in clean.items()))


def same_content(path, tensors, metadata):
    if not os.path.exists(path):
        return False
    try:
        with safe_open(path, "pt") as f:
            if f.metadata() != metadata or sorted(f.keys()) != sorted(tensors):
                return False
            return all(f.get_tensor(k).dtype == v.dtype and torch.equal(f.get_tensor(k), v)
                       for k, v in tensors.items())
    except Exception:
        return False


# --------------------------------------------------------------------------------------------
# conv2d
#   torch.manual_seed(seed)
#   x = torch.randn(N, Cin, H, W, requires_grad=True)
#   weight = (torch.randn(Cout, Cin, k, k) * 0.3).requires_grad_()
#   bias = torch.randn(Cout).requires_grad_()
#   y = F.conv2d(x, weight, bias, stride=s, padding=p)
#   gy = torch.randn_like(y); y.backward(gy)
#   -> x, weight, bias, y, gy, dx = x.grad, dweight = weight.grad, dbias = bias.grad
# --------------------------------------------------------------------------------------------
def conv2d_case(out, filename, seed, x_shape, cout, k, stride, padding):
    torch.manual_seed(seed)
    n, cin, h, w = x_shape
    x = torch.randn(n, cin, h, w, requires_grad=True)
    weight = (torch.randn(cout, cin, k, k) * 0.3).requires_grad_()
    bias = torch.randn(cout).requires_grad_()
    y = F.conv2d(x, weight, bias, stride=stride, padding=padding)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, filename,
         dict(x=x, weight=weight, bias=bias, y=y, gy=gy,
              dx=x.grad, dweight=weight.grad, dbias=bias.grad),
         dict(stride=stride, padding=padding, dilation=1, groups=1, kernel_size=k,
              layout="x NCHW, weight OIHW (out, in, kh, kw)"))


def make_conv2d(out):
    conv2d_case(out, "conv2d_k3_s1_p1.safetensors", 101, (2, 5, 7, 7), 6, 3, 1, 1)
    conv2d_case(out, "conv2d_k3_s2_p1.safetensors", 102, (2, 5, 8, 8), 6, 3, 2, 1)
    conv2d_case(out, "conv2d_k3_s2_p1_odd.safetensors", 103, (2, 5, 7, 7), 6, 3, 2, 1)
    conv2d_case(out, "conv2d_k1_s1_p0.safetensors", 104, (2, 5, 6, 6), 3, 1, 1, 0)


# --------------------------------------------------------------------------------------------
# group_norm
#   torch.manual_seed(201)
#   x = (torch.randn(2, 8, 5, 5) * 2 + 0.5).requires_grad_()
#   weight = (1 + 0.5 * torch.randn(8)).requires_grad_()
#   bias = (0.5 * torch.randn(8)).requires_grad_()
#   y = F.group_norm(x, 4, weight, bias, eps=1e-5)
#   gy = torch.randn_like(y); y.backward(gy)
# group_norm_silu: the same with seed 202 and
#   y = F.silu(F.group_norm(x, 4, weight, bias, eps=1e-6))
# --------------------------------------------------------------------------------------------
def group_norm_case(out, filename, seed, eps, silu):
    torch.manual_seed(seed)
    x = (torch.randn(2, 8, 5, 5) * 2 + 0.5).requires_grad_()
    weight = (1 + 0.5 * torch.randn(8)).requires_grad_()
    bias = (0.5 * torch.randn(8)).requires_grad_()
    y = F.group_norm(x, 4, weight, bias, eps=eps)
    if silu:
        y = F.silu(y)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, filename,
         dict(x=x, weight=weight, bias=bias, y=y, gy=gy,
              dx=x.grad, dweight=weight.grad, dbias=bias.grad),
         dict(groups=4, eps=repr(eps), activation="silu" if silu else "none",
              layout="x NCHW, weight/bias per channel"))


def make_group_norm(out):
    group_norm_case(out, "group_norm.safetensors", 201, 1e-5, False)
    group_norm_case(out, "group_norm_silu.safetensors", 202, 1e-6, True)


# --------------------------------------------------------------------------------------------
# linear
#   torch.manual_seed(301)
#   x = torch.randn(3, 4, 7, requires_grad=True)
#   weight = (torch.randn(5, 7) * 0.4).requires_grad_()
#   bias = torch.randn(5).requires_grad_()
#   y = F.linear(x, weight, bias)            # y = x @ weight.T + bias, shape [3, 4, 5]
#   gy = torch.randn_like(y); y.backward(gy)
# --------------------------------------------------------------------------------------------
def make_linear(out):
    torch.manual_seed(301)
    x = torch.randn(3, 4, 7, requires_grad=True)
    weight = (torch.randn(5, 7) * 0.4).requires_grad_()
    bias = torch.randn(5).requires_grad_()
    y = F.linear(x, weight, bias)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "linear.safetensors",
         dict(x=x, weight=weight, bias=bias, y=y, gy=gy,
              dx=x.grad, dweight=weight.grad, dbias=bias.grad),
         dict(in_features=7, out_features=5, layout="weight [out, in]; y = x @ weight.T + bias"))


# --------------------------------------------------------------------------------------------
# attention (multi-head scaled dot-product attention, no mask, no dropout)
#   torch.manual_seed(401)
#   B, L, H, D = 2, 6, 2, 4
#   q = torch.randn(B, L, H * D, requires_grad=True); k = ...; v = ...   (same shape)
#   def heads(t): return t.view(B, L, H, D).transpose(1, 2)            # [B, H, L, D]
#   o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))  # scale 1/sqrt(D)
#   y = o.transpose(1, 2).reshape(B, L, H * D)
#   gy = torch.randn_like(y); y.backward(gy)
#   -> q, k, v, y, gy, dq, dk, dv
# --------------------------------------------------------------------------------------------
def make_attention(out):
    torch.manual_seed(401)
    B, L, H, D = 2, 6, 2, 4
    q = torch.randn(B, L, H * D, requires_grad=True)
    k = torch.randn(B, L, H * D, requires_grad=True)
    v = torch.randn(B, L, H * D, requires_grad=True)

    def heads(t):
        return t.view(B, L, H, D).transpose(1, 2)

    o = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
    y = o.transpose(1, 2).reshape(B, L, H * D)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "attention.safetensors",
         dict(q=q, k=k, v=v, y=y, gy=gy, dq=q.grad, dk=k.grad, dv=v.grad),
         dict(heads=H, head_dim=D, scale=repr(1 / D ** 0.5), batch=B, seq_len=L,
              layout="q/k/v/y [B, L, heads*head_dim], head h uses columns h*D..<(h+1)*D"))


# --------------------------------------------------------------------------------------------
# attention_block: diffusers Attention exactly as UNet2DModel's UNetMidBlock2D builds it
#   torch.manual_seed(402)
#   C = 16
#   attn = Attention(C, heads=C // 8, dim_head=8, rescale_output_factor=1.0, eps=1e-5,
#                    norm_num_groups=8, spatial_norm_dim=None, residual_connection=True,
#                    bias=True, upcast_softmax=True, _from_deprecated_attn_block=True)
#   with torch.no_grad():          # the default GroupNorm affine is 1/0: make it non-trivial
#       attn.group_norm.weight.copy_(1 + 0.3 * torch.randn(C))
#       attn.group_norm.bias.copy_(0.3 * torch.randn(C))
#   x = torch.randn(2, C, 4, 4, requires_grad=True)
#   y = attn(x)                    # default processor AttnProcessor2_0 (SDPA)
#   gy = torch.randn_like(y); y.backward(gy)
#   -> every attn.state_dict() entry under its diffusers name, x, y, gy, dx,
#      and grad.<name> = parameter.grad for every named parameter
# What it computes: h = group_norm(x).view(B, C, HW).transpose(1, 2)  [B, HW, C];
#   q,k,v = to_q/to_k/to_v(h); heads = C // 8 with head_dim 8; o = SDPA(q, k, v) (scale 1/sqrt(8));
#   o = to_out.0(o) (dropout to_out.1 is identity); y = o.transpose back to [B, C, H, W] + x.
# --------------------------------------------------------------------------------------------
def make_attention_block(out):
    torch.manual_seed(402)
    C = 16
    attn = Attention(C, heads=C // 8, dim_head=8, rescale_output_factor=1.0, eps=1e-5,
                     norm_num_groups=8, spatial_norm_dim=None, residual_connection=True,
                     bias=True, upcast_softmax=True, _from_deprecated_attn_block=True)
    attn.eval()
    with torch.no_grad():
        attn.group_norm.weight.copy_(1 + 0.3 * torch.randn(C))
        attn.group_norm.bias.copy_(0.3 * torch.randn(C))
    x = torch.randn(2, C, 4, 4, requires_grad=True)
    y = attn(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    tensors = {}
    for name, t in attn.state_dict().items():
        tensors[name] = t
    for name, p in attn.named_parameters():
        tensors["grad." + name] = p.grad
    tensors.update(x=x, y=y, gy=gy, dx=x.grad)
    save(out, "attention_block.safetensors", tensors,
         dict(query_dim=C, heads=C // 8, dim_head=8, rescale_output_factor="1.0", eps="1e-05",
              norm_num_groups=8, residual_connection=True, bias=True, upcast_softmax=True,
              processor=type(attn.processor).__name__,
              layout="x/y NCHW; linear weights [out, in]"))


# --------------------------------------------------------------------------------------------
# softmax
#   torch.manual_seed(501)
#   x = (torch.randn(3, 7) * 3).requires_grad_()
#   x.data[2, 3] = 40.0          # one large logit, to exercise max-subtraction
#   y = F.softmax(x, dim=-1); gy = torch.randn_like(y); y.backward(gy)
# silu
#   torch.manual_seed(502)
#   x = (torch.randn(4, 9) * 4).requires_grad_()
#   x.data[0, 0] = -30.0; x.data[0, 1] = 30.0     # saturated ends
#   y = F.silu(x); gy = torch.randn_like(y); y.backward(gy)
# --------------------------------------------------------------------------------------------
def make_softmax_silu(out):
    torch.manual_seed(501)
    x = (torch.randn(3, 7) * 3).requires_grad_()
    with torch.no_grad():
        x[2, 3] = 40.0
    y = F.softmax(x, dim=-1)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "softmax.safetensors", dict(x=x, y=y, gy=gy, dx=x.grad), dict(dim=-1))

    torch.manual_seed(502)
    x = (torch.randn(4, 9) * 4).requires_grad_()
    with torch.no_grad():
        x[0, 0] = -30.0
        x[0, 1] = 30.0
    y = F.silu(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "silu.safetensors", dict(x=x, y=y, gy=gy, dx=x.grad), dict(formula="x * sigmoid(x)"))


# --------------------------------------------------------------------------------------------
# upsample_nearest
#   torch.manual_seed(601)
#   x = torch.randn(2, 3, 4, 5, requires_grad=True)
#   y = F.interpolate(x, scale_factor=2, mode="nearest")       # [2, 3, 8, 10]
#   gy = torch.randn_like(y); y.backward(gy)
# concat
#   torch.manual_seed(602)
#   a = torch.randn(2, 3, 4, 4, requires_grad=True); b = torch.randn(2, 5, 4, 4, requires_grad=True)
#   y = torch.cat([a, b], dim=1); gy = torch.randn_like(y); y.backward(gy)
#   -> a, b, y, gy, da, db
# bmm
#   torch.manual_seed(603)
#   a = torch.randn(3, 4, 5, requires_grad=True); b = torch.randn(3, 5, 6, requires_grad=True)
#   y = torch.bmm(a, b); gy = torch.randn_like(y); y.backward(gy)
#   -> a, b, y, gy, da, db
# mse
#   torch.manual_seed(604)
#   input = torch.randn(2, 3, 4, 4, requires_grad=True); target = torch.randn(2, 3, 4, 4, requires_grad=True)
#   y = F.mse_loss(input, target)          # reduction="mean", a 0-d tensor (shape [])
#   gy = torch.tensor(0.75); y.backward(gy)
#   -> input, target, y, gy, dinput, dtarget
# --------------------------------------------------------------------------------------------
def make_shape_ops(out):
    torch.manual_seed(601)
    x = torch.randn(2, 3, 4, 5, requires_grad=True)
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "upsample_nearest.safetensors", dict(x=x, y=y, gy=gy, dx=x.grad),
         dict(scale_factor=2, mode="nearest", layout="NCHW"))

    torch.manual_seed(602)
    a = torch.randn(2, 3, 4, 4, requires_grad=True)
    b = torch.randn(2, 5, 4, 4, requires_grad=True)
    y = torch.cat([a, b], dim=1)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "concat.safetensors", dict(a=a, b=b, y=y, gy=gy, da=a.grad, db=b.grad), dict(dim=1))

    torch.manual_seed(603)
    a = torch.randn(3, 4, 5, requires_grad=True)
    b = torch.randn(3, 5, 6, requires_grad=True)
    y = torch.bmm(a, b)
    gy = torch.randn_like(y)
    y.backward(gy)
    save(out, "bmm.safetensors", dict(a=a, b=b, y=y, gy=gy, da=a.grad, db=b.grad), {})

    torch.manual_seed(604)
    inp = torch.randn(2, 3, 4, 4, requires_grad=True)
    target = torch.randn(2, 3, 4, 4, requires_grad=True)
    y = F.mse_loss(inp, target)
    gy = torch.tensor(0.75)
    y.backward(gy)
    save(out, "mse.safetensors",
         dict(input=inp, target=target, y=y, gy=gy, dinput=inp.grad, dtarget=target.grad),
         dict(reduction="mean", note="y and gy are 0-d tensors (shape [])"))


# --------------------------------------------------------------------------------------------
# timestep_embedding
#   t = torch.tensor([0, 1, 10, 250, 500, 999])                     # int64
#   emb32 = get_timestep_embedding(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0)
#   emb64 = get_timestep_embedding(t, 64, flip_sin_to_cos=True, downscale_freq_shift=0)
#   -> timesteps (I64 [6]), emb32 [6, 32], emb64 [6, 64]
# (half = dim/2; freq_j = exp(-ln(10000) * j / half); emb = [cos(t*freq), sin(t*freq)])
# --------------------------------------------------------------------------------------------
def make_timestep_embedding(out):
    t = torch.tensor([0, 1, 10, 250, 500, 999])
    emb32 = get_timestep_embedding(t, 32, flip_sin_to_cos=True, downscale_freq_shift=0)
    emb64 = get_timestep_embedding(t, 64, flip_sin_to_cos=True, downscale_freq_shift=0)
    save(out, "timestep_embedding.safetensors", dict(timesteps=t, emb32=emb32, emb64=emb64),
         dict(flip_sin_to_cos=True, downscale_freq_shift=0, scale=1, max_period=10000))


# --------------------------------------------------------------------------------------------
# resize
# (a) float bilinear, no antialias:
#   torch.manual_seed(701)
#   x = torch.rand(2, 1, 28, 28)
#   y = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False, antialias=False)
#   -> bilinear_x [2,1,28,28], bilinear_y [2,1,32,32]
# (b) the tutorial's exact pipeline on PIL "L" images:
#   tf = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])
#   img = Image.fromarray(arr_uint8_28x28, mode="L")
#   t = tf(img)                                     # float32 [1, 32, 32] in [0, 1]
#   u8 = torch.round(t * 255).to(torch.uint8)       # == np.asarray(img.resize((32, 32), BILINEAR))
#   -> <img>_in (U8 [28,28]), <img>_float (F32 [1,32,32]), <img>_u8 (U8 [32,32]) for
#      img in {digit, noise}
# What PIL does here: transforms.Resize on a PIL image calls img.resize((32, 32), BILINEAR)
# (antialias is implicit in PIL and irrelevant when upsampling). PIL's ImagingResample is
# separable: a horizontal pass then a vertical pass, each with triangle-filter weights
# (support 1 * max(scale, 1)) normalized and converted to fixed point with 22 fractional bits
# (PRECISION_BITS = 32 - 8 - 2); each output is (sum(w_int * u8) + 2^21) >> 22, clipped to
# 0..255 — i.e. the intermediate image after the first pass is rounded back to uint8. Hence
# this does NOT equal float bilinear (case a) followed by rounding; results can differ by 1.
# ToTensor then divides by 255 in float32.
# --------------------------------------------------------------------------------------------
def digit_like(rng):
    """A 28x28 uint8 image with soft strokes (grey, anti-aliased-looking) and hard 0/255 edges."""
    img = np.zeros((28, 28), dtype=np.float64)
    yy, xx = np.mgrid[0:28, 0:28].astype(np.float64)
    # three random thick strokes (line segments with a soft profile)
    for _ in range(3):
        p0 = rng.uniform(4, 24, size=2)
        p1 = rng.uniform(4, 24, size=2)
        d = p1 - p0
        tt = np.clip(((yy - p0[0]) * d[0] + (xx - p0[1]) * d[1]) / max(d @ d, 1e-9), 0, 1)
        dist = np.hypot(yy - (p0[0] + tt * d[0]), xx - (p0[1] + tt * d[1]))
        img = np.maximum(img, np.clip(1.6 - 0.6 * dist, 0, 1))
    # a ring, like a 0
    r = np.hypot(yy - 14.0, xx - 13.0)
    img = np.maximum(img, np.clip(1.5 - np.abs(r - 7.5), 0, 1))
    u8 = np.round(img * 255).astype(np.uint8)
    # hard edges: a saturated block and a single-pixel checker row next to black
    u8[2:6, 20:26] = 255
    u8[24, 2:26:2] = 255
    u8[0, :] = 0
    return u8


def make_resize(out):
    torch.manual_seed(701)
    x = torch.rand(2, 1, 28, 28)
    y = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False, antialias=False)

    rng = np.random.default_rng(702)
    digit = digit_like(rng)
    noise = rng.integers(0, 256, size=(28, 28), dtype=np.uint8)

    tf = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])
    tensors = dict(bilinear_x=x, bilinear_y=y)
    for name, arr in (("digit", digit), ("noise", noise)):
        img = Image.fromarray(arr, mode="L")
        t = tf(img)
        u8 = torch.round(t * 255).to(torch.uint8)
        direct = np.asarray(img.resize((32, 32), Image.BILINEAR))
        assert np.array_equal(u8[0].numpy(), direct), name
        tensors[name + "_in"] = torch.from_numpy(arr.copy())
        tensors[name + "_float"] = t
        tensors[name + "_u8"] = u8[0]
    save(out, "resize.safetensors", tensors,
         dict(size="32,32", bilinear_mode="bilinear", align_corners=False, antialias=False,
              pil_pipeline="transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor()])",
              pil_interpolation="BILINEAR"))


# --------------------------------------------------------------------------------------------
# adam
#   torch.manual_seed(801)
#   p0 = torch.randn(4, 3); g1, g2, g3 = torch.randn(4, 3), torch.randn(4, 3) * 0.1, torch.randn(4, 3) * 3
#   for suffix, kw in (("", dict(lr=1e-3)), ("_wd", dict(lr=1e-3, weight_decay=0.01)),
#                      ("_lr", dict(lr=0.1))):
#       p = torch.nn.Parameter(p0.clone())
#       opt = torch.optim.Adam([p], **kw)          # betas (0.9, 0.999), eps 1e-8, amsgrad False
#       for i, g in enumerate((g1, g2, g3), 1):
#           p.grad = g.clone(); opt.step()
#           store p{i}{suffix} = p.detach().clone()
# weight_decay in torch.optim.Adam is L2 (g += wd * p before the moments), not AdamW.
# --------------------------------------------------------------------------------------------
def make_adam(out):
    torch.manual_seed(801)
    p0 = torch.randn(4, 3)
    g1, g2, g3 = torch.randn(4, 3), torch.randn(4, 3) * 0.1, torch.randn(4, 3) * 3
    tensors = dict(p0=p0, g1=g1, g2=g2, g3=g3)
    for suffix, kw in (("", dict(lr=1e-3)), ("_wd", dict(lr=1e-3, weight_decay=0.01)),
                       ("_lr", dict(lr=0.1))):
        p = torch.nn.Parameter(p0.clone())
        opt = torch.optim.Adam([p], foreach=False, **kw)
        for i, g in enumerate((g1, g2, g3), 1):
            p.grad = g.clone()
            opt.step()
            tensors[f"p{i}{suffix}"] = p.detach().clone()
    save(out, "adam.safetensors", tensors,
         dict(lr="0.001", lr_lr="0.1", weight_decay="0", weight_decay_wd="0.01",
              beta1="0.9", beta2="0.999", eps="1e-08", amsgrad=False,
              note="p{i} = after step i with lr 1e-3; p{i}_wd also weight_decay 0.01 (L2, not AdamW); p{i}_lr with lr 0.1"))


# --------------------------------------------------------------------------------------------
# safetensors_dtypes: one tensor per dtype the Swift reader supports, written by the library,
# each with an F32 copy of the value PyTorch converts it to (`t.float()`), so the Swift
# conversions (F16/BF16/F64/I64/I32/U8/BOOL -> Float) are checked against PyTorch's.
#   vals = [0.0, 1.0, -2.5, 0.1, 65504.0, 6.0e-8, -1.0e-5, 3.14159265]
#   for dt in (float64, float16, bfloat16):  t = torch.tensor(vals, dtype=dt) -> <name>, <name>_as_f32 = t.float()
#   int64 [-3, 0, 7, 2**40], int32 [-3, 0, 7, 2**31 - 1], uint8 [0, 1, 128, 255] (shape [2, 2]), bool [T, F, T]
# --------------------------------------------------------------------------------------------
def make_dtypes(out):
    vals = [0.0, 1.0, -2.5, 0.1, 65504.0, 6.0e-8, -1.0e-5, 3.14159265]
    tensors = {}
    for name, dt in (("f64", torch.float64), ("f16", torch.float16), ("bf16", torch.bfloat16)):
        t = torch.tensor(vals, dtype=dt)
        tensors[name] = t
        tensors[name + "_as_f32"] = t.float()
    for name, t in (("i64", torch.tensor([-3, 0, 7, 2 ** 40], dtype=torch.int64)),
                    ("i32", torch.tensor([-3, 0, 7, 2 ** 31 - 1], dtype=torch.int32)),
                    ("u8", torch.tensor([[0, 1], [128, 255]], dtype=torch.uint8)),
                    ("bool", torch.tensor([True, False, True]))):
        tensors[name] = t
        tensors[name + "_as_f32"] = t.float()
    save(out, "safetensors_dtypes.safetensors", tensors,
         dict(purpose="reader dtype conversions", values=repr(vals)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    print(f"torch {torch.__version__}, diffusers {diffusers.__version__}, "
          f"torchvision {torchvision.__version__}, pillow {PIL.__version__}, python {sys.version.split()[0]}")
    make_conv2d(args.out)
    make_group_norm(args.out)
    make_linear(args.out)
    make_attention(args.out)
    make_attention_block(args.out)
    make_softmax_silu(args.out)
    make_shape_ops(args.out)
    make_timestep_embedding(args.out)
    make_resize(args.out)
    make_adam(args.out)
    make_dtypes(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f))
                for f in os.listdir(args.out) if f.endswith(".safetensors"))
    print(f"total {total} bytes in {args.out}")


if __name__ == "__main__":
    main()
