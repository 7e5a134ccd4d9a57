#!/usr/bin/env python3
"""Reference timings for k-center greedy and BADGE, written the way the Python
active-learning toolkits write them, at the sizes of
`cargo run --release -p sieve-strategies --example selection_bench`.

- k-center greedy as in DeepCore (methods/methods_utils k_center_greedy): one
  (labeled + budget) x N float32 distance matrix, filled block by block with
  ||x||^2 + ||y||^2 - 2 x.y distances (the labeled block first, then one row per pick).
- BADGE as in DeepAL+ / the authors' code (init_centers): the N x (C*D) gradient
  embedding materialised, first centre = longest row, then D^2 sampling, with
  sklearn-style pairwise_distances against the newest centre (numpy here; the
  per-row Python loop of the original update is vectorised, which only helps it).

Usage: reference_selection.py {kcenter|badge} [pool dim classes batch labeled]
Run one method per process so the peak memory (VmHWM) belongs to that method.
numpy only (PyTorch is not needed).
"""

import sys
import time

import numpy as np


def peak_rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def synthetic(n, d, c, rng):
    centres = (rng.standard_normal((c, d)) * 0.5).astype(np.float32)
    y = rng.integers(0, c, n)
    emb = centres[y] + (rng.standard_normal((n, d)) * 0.25).astype(np.float32)
    sq = (emb**2).sum(1)[:, None] + (centres**2).sum(1)[None, :] - 2 * emb @ centres.T
    logits = -sq / 4.0
    logits -= logits.max(1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(1, keepdims=True)
    return emb.astype(np.float32), probs.astype(np.float32)


def euclidean_dist(x, y):
    """DeepCore's euclidean_dist: sqrt(clamp(xx + yy - 2 x y^T))."""
    xx = (x**2).sum(1)[:, None]
    yy = (y**2).sum(1)[None, :]
    return np.sqrt(np.clip(xx + yy - 2.0 * x @ y.T, 1e-12, None))


def k_center_greedy(matrix, budget, already_selected):
    sample_num = matrix.shape[0]
    select_result = np.zeros(sample_num, dtype=bool)
    select_result[already_selected] = True
    num_sel = len(already_selected)
    dis_matrix = -1 * np.ones([num_sel + budget - 1, sample_num], dtype=np.float32)
    dis_matrix[:num_sel, ~select_result] = euclidean_dist(
        matrix[select_result], matrix[~select_result]
    )
    mins = np.min(dis_matrix[:num_sel, :], axis=0)
    picks = []
    for i in range(budget):
        p = int(np.argmax(mins))
        select_result[p] = True
        picks.append(p)
        if i == budget - 1:
            break
        mins[p] = -1
        dis_matrix[num_sel + i, ~select_result] = euclidean_dist(
            matrix[[p]], matrix[~select_result]
        )[0]
        mins = np.minimum(mins, dis_matrix[num_sel + i])
    return picks


def grad_embedding(probs, emb):
    """The materialised N x (C*D) last-layer gradient embedding (DeepAL+ layout)."""
    n, c = probs.shape
    d = emb.shape[1]
    top = probs.argmax(1)
    out = np.zeros((n, c * d), dtype=np.float32)
    for k in range(c):
        coef = np.where(top == k, 1.0 - probs[:, k], -probs[:, k]).astype(np.float32)
        out[:, k * d : (k + 1) * d] = emb * coef[:, None]
    return out


def init_centers(x, k, rng):
    norms2 = (x**2).sum(1)
    ind = int(np.argmax(norms2))
    mu = [x[ind]]
    inds_all = [ind]
    d2 = None
    while len(mu) < k:
        m = mu[-1]
        new = np.sqrt(np.clip(norms2 + (m**2).sum() - 2.0 * (x @ m), 0, None))
        d2 = new if d2 is None else np.minimum(d2, new)
        dist = d2.astype(np.float64) ** 2
        dist /= dist.sum()
        ind = int(rng.choice(len(d2), p=dist))
        while ind in inds_all:
            ind = int(rng.choice(len(d2), p=dist))
        mu.append(x[ind])
        inds_all.append(ind)
    return inds_all


def main():
    args = sys.argv[1:]
    method = args[0] if args else "kcenter"
    nums = [int(a) for a in args[1:]]
    n, d, c, batch, labeled_n = (nums + [60000, 128, 10, 1000, 1000][len(nums) :])[:5]
    rng = np.random.default_rng(0)
    emb, probs = synthetic(n, d, c, rng)
    step = max(n // max(labeled_n, 1), 1)
    labeled = np.arange(min(labeled_n, n)) * step
    data_mib = peak_rss_mib()
    start = time.perf_counter()
    if method == "badge":
        mask = np.ones(n, dtype=bool)
        mask[labeled] = False
        g = grad_embedding(probs[mask], emb[mask])
        picks = init_centers(g, batch, np.random.default_rng(1))
    else:
        picks = k_center_greedy(emb, batch, labeled)
    seconds = time.perf_counter() - start
    print(
        f"method={method} (python/numpy {np.__version__}) pool={n} labeled={len(labeled)} "
        f"dim={d} classes={c} batch={len(picks)} seconds={seconds:.2f} "
        f"peak_rss_mib={peak_rss_mib():.0f} rss_after_data_mib={data_mib:.0f}"
    )


if __name__ == "__main__":
    main()
