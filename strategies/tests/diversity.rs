//! Diversity and hybrid methods on cases whose right answer is known by construction.
#![allow(clippy::unwrap_used)]

mod common;

use common::{embedding_view, select, sorted, try_select};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::{CoreError, FixedModelView, Matrix, ModelView};
use sieve_strategies::active::badge::{badge_rows, GradientFactors};
use sieve_strategies::active::{Badge, KMeansParams, KMeansSampling};
use sieve_strategies::build_strategy;

/// Three tight 2-D blobs far apart; each blob is a centre point with four neighbours
/// placed symmetrically, so the blob mean is exactly its centre point.
fn three_blobs() -> Matrix {
    let mut rows = Vec::new();
    for (cx, cy) in [(0.0f32, 0.0f32), (100.0, 0.0), (0.0, 100.0)] {
        rows.push(vec![cx + 1.0, cy]);
        rows.push(vec![cx, cy]);
        rows.push(vec![cx - 1.0, cy]);
        rows.push(vec![cx, cy + 1.0]);
        rows.push(vec![cx, cy - 1.0]);
    }
    Matrix::from_rows(&rows)
}

#[test]
fn kmeans_picks_the_point_nearest_each_blob_mean() {
    let view = embedding_view(three_blobs(), 2);
    let unlabeled: Vec<usize> = (0..15).collect();
    for seed in 0..5 {
        let picks = try_select(
            &mut KMeansSampling::default(),
            &view,
            &[],
            &unlabeled,
            3,
            seed,
        )
        .unwrap();
        assert_eq!(sorted(picks), vec![1, 6, 11], "seed {seed}");
    }
    let err = build_strategy("kmeans", &serde_json::json!({"max_iter": 0}))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("`max_iter`"), "{err}");
    let s = KMeansSampling {
        params: KMeansParams { max_iter: 5 },
    };
    use sieve_bench_core::Strategy;
    assert_eq!(s.params_json(), r#"{"max_iter":5}"#);
}

/// Two groups of uncertain examples in orthogonal embedding directions. BADGE must
/// start at the longest gradient embedding (row 0) and, since the rest of its group is
/// all but on top of it, D²-sample its second centre from the other group.
#[test]
fn badge_starts_at_the_longest_gradient_and_spreads_out() {
    let probabilities = Matrix::from_rows(&[
        vec![0.5, 0.5],
        vec![0.5, 0.5],
        vec![0.5, 0.5],
        vec![0.45, 0.55],
        vec![0.45, 0.55],
    ]);
    let embeddings = Matrix::from_rows(&[
        vec![3.0, 0.0],
        vec![2.9, 0.0],
        vec![2.95, 0.05],
        vec![0.0, 2.5],
        vec![0.0, 2.4],
    ]);
    let view = FixedModelView {
        probabilities,
        embeddings,
        mc_samples: vec![],
    };
    // |g|² = |p - e|² |h|²: row 0: 0.5 * 9 = 4.5 (the longest); rows 3, 4 about 2.5.
    for seed in 0..10 {
        let picks = try_select(&mut Badge, &view, &[], &[0, 1, 2, 3, 4], 2, seed).unwrap();
        assert_eq!(picks[0], 0, "seed {seed}");
        assert!(picks[1] == 3 || picks[1] == 4, "seed {seed}: {picks:?}");
    }
}

/// A view that counts how it is asked: separate probability or embedding calls, or one
/// call for both (which a network answers from a single forward pass).
struct CountingView {
    inner: FixedModelView,
    separate: std::cell::Cell<usize>,
    joint: std::cell::Cell<usize>,
}

impl ModelView for CountingView {
    fn num_classes(&self) -> usize {
        self.inner.num_classes()
    }
    fn probabilities(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.separate.set(self.separate.get() + 1);
        self.inner.probabilities(indices)
    }
    fn embeddings(&self, indices: &[usize]) -> Result<Matrix, CoreError> {
        self.separate.set(self.separate.get() + 1);
        self.inner.embeddings(indices)
    }
    fn probabilities_and_embeddings(
        &self,
        indices: &[usize],
    ) -> Result<(Matrix, Matrix), CoreError> {
        self.joint.set(self.joint.get() + 1);
        Ok((
            self.inner.probabilities(indices)?,
            self.inner.embeddings(indices)?,
        ))
    }
    fn mc_dropout_probabilities(
        &self,
        indices: &[usize],
        samples: usize,
    ) -> Result<Vec<Matrix>, CoreError> {
        self.inner.mc_dropout_probabilities(indices, samples)
    }
}

#[test]
fn badge_reads_the_pool_in_one_pass() {
    let view = CountingView {
        inner: FixedModelView {
            probabilities: Matrix::from_rows(&[vec![0.5, 0.5], vec![0.9, 0.1], vec![0.2, 0.8]]),
            embeddings: Matrix::from_rows(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]]),
            mc_samples: vec![],
        },
        separate: Default::default(),
        joint: Default::default(),
    };
    let picks = try_select(&mut Badge, &view, &[], &[0, 1, 2], 2, 3).unwrap();
    assert_eq!(picks.len(), 2);
    assert_eq!((view.joint.get(), view.separate.get()), (1, 0));
}

/// The materialised reference: g_i = (p_i - e_ŷi) ⊗ h_i written out, distances summed
/// over all C·D coordinates, the same seeding rule (longest first, then D² sampling).
fn materialised_badge(probs: &Matrix, emb: &Matrix, k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let n = probs.rows;
    let g: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let p = probs.row(i);
            let top = (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b });
            let mut out = Vec::new();
            for (c, &pc) in p.iter().enumerate() {
                let a = f64::from(pc) - if c == top { 1.0 } else { 0.0 };
                out.extend(emb.row(i).iter().map(|&h| a * f64::from(h)));
            }
            out
        })
        .collect();
    let dist2 = |i: usize, j: usize| -> f64 {
        g[i].iter().zip(&g[j]).map(|(x, y)| (x - y) * (x - y)).sum()
    };
    let norms: Vec<f64> = g.iter().map(|v| v.iter().map(|x| x * x).sum()).collect();
    let mut first = 0;
    for i in 0..n {
        if norms[i] > norms[first] {
            first = i;
        }
    }
    let mut chosen = vec![first];
    let mut d2 = vec![f64::INFINITY; n];
    while chosen.len() < k {
        let last = *chosen.last().unwrap();
        for (i, d) in d2.iter_mut().enumerate() {
            *d = d.min(dist2(i, last));
        }
        let w = |i: usize| if chosen.contains(&i) { 0.0 } else { d2[i] };
        let total: f64 = (0..n).map(w).sum();
        let target = rng.random::<f64>() * total;
        let mut acc = 0.0;
        let mut pick = n;
        for i in 0..n {
            if w(i) > 0.0 {
                acc += w(i);
                pick = i;
                if acc > target {
                    break;
                }
            }
        }
        chosen.push(pick);
    }
    chosen
}

#[test]
fn badge_factorised_equals_materialised_on_a_small_pool() {
    let mut data_rng = ChaCha8Rng::seed_from_u64(11);
    let (n, c, d) = (60, 4, 6);
    let mut probs = Vec::new();
    for _ in 0..n {
        let logits: Vec<f32> = (0..c).map(|_| data_rng.random::<f32>() * 4.0).collect();
        let z: f32 = logits.iter().map(|l| l.exp()).sum();
        probs.extend(logits.iter().map(|l| l.exp() / z));
    }
    let emb: Vec<f32> = (0..n * d)
        .map(|_| data_rng.random::<f32>() * 2.0 - 1.0)
        .collect();
    let probs = Matrix::new(n, c, probs);
    let emb = Matrix::new(n, d, emb);
    for seed in 0..5 {
        let factors = GradientFactors::new(&probs.data, c, emb.data.clone(), d);
        let fast = badge_rows(&factors, 12, &mut ChaCha8Rng::seed_from_u64(seed));
        let slow = materialised_badge(&probs, &emb, 12, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(fast, slow, "seed {seed}");
        // And the distances themselves agree.
        for (i, j) in [(0, 1), (5, 17), (30, 59)] {
            let mut d2 = vec![f64::INFINITY; n];
            factors.lower(j, &mut d2);
            assert!((d2[i] - factors.squared_distance(i, j)).abs() < 1e-12);
        }
    }
    // Through the strategy (pool indices map back).
    let view = FixedModelView {
        probabilities: probs.clone(),
        embeddings: emb.clone(),
        mc_samples: vec![],
    };
    let unlabeled: Vec<usize> = (0..n).collect();
    let via_strategy = try_select(&mut Badge, &view, &[], &unlabeled, 12, 3).unwrap();
    let reference = materialised_badge(&probs, &emb, 12, &mut ChaCha8Rng::seed_from_u64(3));
    assert_eq!(via_strategy, reference);
}

/// Head w_0 = (1, 0), w_1 = (0, 1), w_2 = (0, 0), no bias; ‖w_0 - w_1‖ = √2, the other
/// pairs 1. By hand, r_c = (z_ŷ - z_c) / ‖w_ŷ - w_c‖ and m = min_c r_c:
///
/// | row | e | ŷ | r_0 | r_1 | r_2 | m |
/// |---|---|---|---|---|---|---|
/// | 0 | (2, 0) | 0 | ∞ | 1.414 | 2 | 1.414 |
/// | 1 | (0.5, 0.4) | 0 | ∞ | 0.0707 | 0.5 | 0.0707 |
/// | 2 | (0, 1) | 1 | 0.707 | ∞ | 1 | 0.707 |
/// | 3 | (-1, -1) | 2 | 1 | 1 | ∞ | 1 |
/// | 4 | (0.3, 0.35) | 1 | 0.0354 | ∞ | 0.35 | 0.0354 |
/// | 5 | (-0.2, -0.1) | 2 | 0.2 | 0.1 | ∞ | 0.1 |
///
/// Class 0 (d = m where ŷ = 0, else r_0): row 4 (0.0354). Class 1: row 1 (0.0707).
/// Class 2: row 5 (m = 0.1). With four labels the quotas are 2, 1, 1: class 0 fills its
/// quota first (rows 4 and 1), class 1 then takes row 5 (r_1 = 0.1), and class 2 ties
/// rows 2 (r_2 = 1) and 3 (m = 1) and takes the lower index.
#[test]
fn base_fills_each_class_quota_closest_to_its_boundary_in_feature_space() {
    use sieve_bench_core::{LinearHead, WithLinearHead};
    use sieve_strategies::active::base::boundary_distances;
    let embeddings = Matrix::from_rows(&[
        vec![2.0, 0.0],
        vec![0.5, 0.4],
        vec![0.0, 1.0],
        vec![-1.0, -1.0],
        vec![0.3, 0.35],
        vec![-0.2, -0.1],
    ]);
    let head = LinearHead {
        weights: Matrix::from_rows(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![0.0, 0.0]]),
        bias: vec![0.0; 3],
    };
    let d = boundary_distances(&embeddings, &head);
    assert_eq!(d.predicted, vec![0, 0, 1, 2, 1, 2]);
    let root2 = std::f32::consts::SQRT_2;
    let expected = [
        [f32::INFINITY, 2.0 / root2, 2.0],
        [f32::INFINITY, 0.1 / root2, 0.5],
        [1.0 / root2, f32::INFINITY, 1.0],
        [1.0, 1.0, f32::INFINITY],
        [0.05 / root2, f32::INFINITY, 0.35],
        [0.2, 0.1, f32::INFINITY],
    ];
    for (row, want) in expected.iter().enumerate() {
        for (c, &w) in want.iter().enumerate() {
            let got = d.radius.row(row)[c];
            assert!(
                got == w || (got - w).abs() < 1e-6,
                "r_{c}(row {row}) = {got}, by hand {w}"
            );
        }
    }
    let view = WithLinearHead {
        view: FixedModelView {
            probabilities: Matrix::new(6, 3, vec![1.0 / 3.0; 18]),
            embeddings,
            mc_samples: vec![],
        },
        head,
    };
    let mut base = sieve_strategies::active::BalancedSelection;
    let all = [0, 1, 2, 3, 4, 5];
    assert_eq!(select(&mut base, &view, &[], &all, 3), vec![4, 1, 5]);
    assert_eq!(select(&mut base, &view, &[], &all, 4), vec![4, 1, 5, 2]);
    // Without a linear head BASE refuses rather than guess.
    let plain = FixedModelView {
        probabilities: Matrix::new(6, 3, vec![1.0 / 3.0; 18]),
        embeddings: Matrix::new(6, 2, vec![0.0; 12]),
        mc_samples: vec![],
    };
    let err = try_select(&mut base, &plain, &[], &all, 3, 1).unwrap_err();
    assert!(err.to_string().contains("linear head"), "{err}");
}

/// Six low-margin candidates in two far embedding groups (three near x = 0, three near
/// x = 50), plus confident rows that must never be chosen. With 2 clusters and a batch
/// of 2, one pick must come from each group.
#[test]
fn cluster_margin_spreads_low_margin_candidates_over_clusters() {
    let mut probs = Vec::new();
    let mut emb = Vec::new();
    for i in 0..6 {
        probs.push(vec![0.5 + 0.01 * i as f32, 0.5 - 0.01 * i as f32]);
        emb.push(vec![if i % 2 == 0 { 0.0 } else { 50.0 } + i as f32 * 0.1]);
    }
    for i in 0..6 {
        probs.push(vec![0.99, 0.01]);
        emb.push(vec![200.0 + i as f32]);
    }
    let view = FixedModelView {
        probabilities: Matrix::from_rows(&probs),
        embeddings: Matrix::from_rows(&emb),
        mc_samples: vec![],
    };
    let unlabeled: Vec<usize> = (0..12).collect();
    let params = serde_json::json!({"candidate_factor": 3.0, "clusters": 2});
    for seed in 0..8 {
        let mut s = build_strategy("cluster_margin", &params).unwrap();
        let picks = try_select(s.as_mut(), &view, &[], &unlabeled, 2, seed).unwrap();
        let parities: Vec<usize> = sorted(picks.iter().map(|p| p % 2).collect());
        assert_eq!(parities, vec![0, 1], "seed {seed}: {picks:?}");
        assert!(picks.iter().all(|&p| p < 6), "{picks:?}");
    }
    // Smallest cluster first: candidates are four rows near 0 and one row alone at 100;
    // a batch of 1 over 2 clusters must come from the singleton.
    let view = FixedModelView {
        probabilities: Matrix::from_rows(&[
            vec![0.50, 0.50],
            vec![0.51, 0.49],
            vec![0.52, 0.48],
            vec![0.53, 0.47],
            vec![0.54, 0.46],
            vec![0.99, 0.01],
        ]),
        embeddings: Matrix::new(6, 1, vec![0.0, 0.1, 0.2, 100.0, 0.3, 7.0]),
        mc_samples: vec![],
    };
    let params = serde_json::json!({"candidate_factor": 5.0, "clusters": 2});
    for seed in 0..4 {
        let mut s = build_strategy("cluster_margin", &params).unwrap();
        let picks = try_select(s.as_mut(), &view, &[], &[0, 1, 2, 3, 4, 5], 1, seed).unwrap();
        assert_eq!(picks, vec![3], "seed {seed}");
    }
    let err = build_strategy(
        "cluster_margin",
        &serde_json::json!({"candidate_factor": 0.5}),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("`candidate_factor`"), "{err}");
}

/// A tight dense cluster of 20 examples far away at (100, 100), and five sparse
/// examples around the origin, one of them labeled. Plain k-center would go to the
/// dense cluster first (it is farthest); DACS with a low temperature gives the batch to
/// the sparse groups and must pick only sparse examples.
#[test]
fn dacs_prefers_sparse_regions() {
    let mut rows = vec![
        vec![0.0, 0.0],
        vec![10.0, 0.0],
        vec![0.0, 10.0],
        vec![-10.0, 0.0],
        vec![0.0, -10.0],
    ];
    for i in 0..20 {
        rows.push(vec![100.0 + 0.01 * i as f32, 100.0 - 0.01 * i as f32]);
    }
    let view = embedding_view(Matrix::from_rows(&rows), 2);
    let unlabeled: Vec<usize> = (1..25).collect();
    let kcenter = select(
        &mut sieve_strategies::active::KCenterGreedy::default(),
        &view,
        &[0],
        &unlabeled,
        1,
    );
    assert!(
        kcenter[0] >= 5,
        "plain k-center goes to the dense cluster: {kcenter:?}"
    );
    let params = serde_json::json!({"temperature": 0.001});
    for seed in 0..5 {
        let mut s = build_strategy("dacs", &params).unwrap();
        let picks = try_select(s.as_mut(), &view, &[0], &unlabeled, 3, seed).unwrap();
        assert!(
            picks.iter().all(|&p| (1..5).contains(&p)),
            "seed {seed}: {picks:?}"
        );
        assert_eq!(
            sorted(picks.clone())
                .windows(2)
                .filter(|w| w[0] == w[1])
                .count(),
            0
        );
    }
    for bad in [
        serde_json::json!({"knn": 0}),
        serde_json::json!({"leaf_size": 5}),
        serde_json::json!({"trees": 0}),
        serde_json::json!({"groups": 0}),
        serde_json::json!({"temperature": 0.0}),
        serde_json::json!({"candidate_share": 0.5}),
    ] {
        let err = build_strategy("dacs", &bad).err().unwrap().to_string();
        let name = bad.as_object().unwrap().keys().next().unwrap().clone();
        assert!(
            err.contains(&format!("`{name}`")) || err.contains("unknown field"),
            "{err}"
        );
    }
}

/// Unit vectors at 0, 10, 20, 90 and 180 degrees; with knn = 4 every other point is a
/// neighbour, so by hand the density of the 0-degree point is
/// (cos 10 + cos 20 + cos 90 + cos 180) / 4 = (0.98481 + 0.93969 + 0 - 1) / 4 = 0.23112
/// and of the 180-degree point (-1 - 0.98481 - 0.93969 + 0) / 4 = -0.73112.
#[test]
fn dacs_density_is_the_mean_cosine_similarity_to_the_nearest_neighbours() {
    use sieve_strategies::active::dacs::density::{knn_density, normalized};
    let degrees = [0.0f32, 10.0, 20.0, 90.0, 180.0];
    // Scaled rows: the density is on directions only.
    let rows: Vec<Vec<f32>> = degrees
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let r = d.to_radians();
            vec![(i + 1) as f32 * r.cos(), (i + 1) as f32 * r.sin()]
        })
        .collect();
    let unit = normalized(&Matrix::from_rows(&rows));
    // A pool no larger than a leaf is searched exactly.
    let density = knn_density(&unit, 4, 0, 2, &mut ChaCha8Rng::seed_from_u64(1));
    assert!((density[0] - 0.23112).abs() < 1e-4, "{density:?}");
    assert!((density[4] + 0.73112).abs() < 1e-4, "{density:?}");
}

/// On a larger pool the trees give approximate neighbours: each estimate is the mean of
/// k similarities from a subset of the pool, so it is never above the exact value, and
/// with the default four trees it is close to it on average; more trees never hurt.
#[test]
fn dacs_tree_density_is_a_close_lower_bound_of_the_exact_density() {
    use sieve_strategies::active::dacs::density::{knn_density, normalized};
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let rows: Vec<Vec<f32>> = (0..2000)
        .map(|i| {
            let centre = (i % 5) as f32;
            (0..8)
                .map(|d| {
                    let offset = if d == i % 5 { 3.0 + centre } else { 0.0 };
                    offset + sieve_strategies::linalg::standard_normal(&mut rng) as f32
                })
                .collect()
        })
        .collect();
    let unit = normalized(&Matrix::from_rows(&rows));
    let knn = 10;
    let exact = knn_density(&unit, knn, 4000, 1, &mut ChaCha8Rng::seed_from_u64(0));
    let mean_gap = |trees: usize| {
        let approximate = knn_density(&unit, knn, 0, trees, &mut ChaCha8Rng::seed_from_u64(3));
        let mut total = 0.0;
        for (a, e) in approximate.iter().zip(&exact) {
            assert!(*a <= e + 1e-9, "approximate {a} above exact {e}");
            total += e - a;
        }
        total / exact.len() as f64
    };
    let one = mean_gap(1);
    let four = mean_gap(4);
    let sixteen = mean_gap(16);
    assert!(four < 0.02, "mean gap with 4 trees {four}");
    assert!(sixteen <= four && four <= one, "{one} {four} {sixteen}");
    assert!(one > 0.0, "one tree should miss some neighbours");
}

#[test]
fn dacs_groups_are_natural_breaks_and_sparse_groups_get_the_batch() {
    use sieve_strategies::active::dacs::groups::{density_groups, group_quotas};
    let (groups, means) = density_groups(&[0.9, 0.1, 0.5, 0.12, 0.91, 0.11, 0.52], 3, 100);
    assert_eq!(groups, vec![2, 0, 1, 0, 2, 0, 1]);
    assert!((means[0] - 0.11).abs() < 1e-12 && (means[1] - 0.51).abs() < 1e-12);
    assert!((means[2] - 0.905).abs() < 1e-12);
    // softmax(-[0.2, 0.5, 0.9] / 0.1) = [0.95175, 0.04739, 0.00087]; 10 picks ->
    // floors [9, 0, 0], the remaining one to the largest remainder (group 0): [10, 0, 0].
    assert_eq!(
        group_quotas(&[0.2, 0.5, 0.9], &[50, 50, 50], 10, 0.1),
        vec![10, 0, 0]
    );
    // Group 0 has only 4: the 6 it cannot take go to the next sparsest.
    assert_eq!(
        group_quotas(&[0.2, 0.5, 0.9], &[4, 20, 20], 10, 0.1),
        vec![4, 6, 0]
    );
    // A high temperature spreads the batch evenly.
    assert_eq!(
        group_quotas(&[0.2, 0.5, 0.9], &[50, 50, 50], 9, 1e6),
        vec![3, 3, 3]
    );
}
