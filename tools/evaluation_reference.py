#!/usr/bin/env python3
"""NumPy/SciPy reference for dnb's sample-evaluation maths (Sources/DNBEvaluation).

    python3 tools/evaluation_reference.py < features.json > reference.json

Input: {"real": [[...], ...], "generated": [[...], ...], "k": 3} — feature vectors, one list per image.
Output (JSON): the statistics and figures dnb computes, each the textbook way:
  mean_real, cov_real, mean_generated, cov_generated   x.mean(0), np.cov(x, rowvar=False)
  fd_sqrtm   ‖μ₁−μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr sqrtm(Σ₁Σ₂)   (pytorch-fid's formula, scipy.linalg.sqrtm)
  fd_eigh    the same with tr (Σ₁^½ Σ₂ Σ₁^½)^½ from scipy.linalg.eigh (exact also for singular Σ)
  precision, recall   Kynkäänniemi et al. 2019 with k nearest neighbours (a point on a ball's edge is inside)
Tests/DNBEvaluationTests run it on the same features as dnb and compare to 1e-4 relative.
"""
import json
import sys

import numpy as np
import scipy.linalg


def frechet_sqrtm(m1, s1, m2, s2):
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def frechet_eigh(m1, s1, m2, s2):
    w, v = scipy.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = root @ s2 @ root
    inner = (inner + inner.T) / 2
    trace_root = np.sqrt(np.clip(scipy.linalg.eigvalsh(inner), 0, None)).sum()
    return float(max(0.0, ((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * trace_root))


def kth_radii(x, k):
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return np.sort(d, axis=1)[:, k - 1]


def covered(points, centres, radii):
    d = np.sqrt(((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    return float((d <= radii[None, :]).any(axis=1).mean())


def main():
    data = json.load(sys.stdin)
    real, gen, k = np.array(data["real"], np.float64), np.array(data["generated"], np.float64), int(data.get("k", 3))
    m1, s1 = real.mean(0), np.cov(real, rowvar=False)
    m2, s2 = gen.mean(0), np.cov(gen, rowvar=False)
    out = {"mean_real": m1.tolist(), "cov_real": s1.ravel().tolist(),
           "mean_generated": m2.tolist(), "cov_generated": s2.ravel().tolist(),
           "fd_sqrtm": frechet_sqrtm(m1, s1, m2, s2), "fd_eigh": frechet_eigh(m1, s1, m2, s2),
           "precision": covered(gen, real, kth_radii(real, k)), "recall": covered(real, gen, kth_radii(gen, k))}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
