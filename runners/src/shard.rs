//! Deterministic slicing of a sweep's trials into `N` shards (`sieve run --shard K/N`,
//! one per Slurm array task or machine): every trial in exactly one shard, shards
//! balanced by the trials' estimated cost, the same slices on every machine.
//!
//! The unit of assignment is a trial, or, for kinds whose trials share cached work
//! (the coreset selection model), the group of trials that share it: splitting a group
//! would compute its shared work once per shard.

use std::fmt;
use std::str::FromStr;

use crate::sweep::Sweep;

/// Shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: usize,
    pub count: usize,
}

/// Most shards a sweep may be cut into.
pub const MAX_SHARDS: usize = 100_000;

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let expected =
            || format!("--shard `{text}`: expected K/N with 1 <= K <= N <= {MAX_SHARDS}, e.g. 2/8");
        let (k, n) = text.split_once('/').ok_or_else(expected)?;
        let index: usize = k.trim().parse().map_err(|_| expected())?;
        let count: usize = n.trim().parse().map_err(|_| expected())?;
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(expected());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The estimated cost of each trial of the sweep, in example passes.
pub fn trial_costs(sweep: &Sweep) -> Vec<f64> {
    sweep
        .trials
        .iter()
        .map(|t| {
            let pool = sweep.data(t).pool.len();
            let epochs = sweep.regularization(t).epochs;
            sweep.protocol.estimated_cost(t.axis, pool, epochs)
        })
        .collect()
}

/// The 0-based shard of every trial: units (trials, or groups of trials sharing work
/// when `group` is given) go, costliest first, to the least loaded shard (ties to the
/// lower shard, equal costs in sweep order), the longest-processing-time rule.
pub fn assign(costs: &[f64], groups: Option<&[usize]>, count: usize) -> Vec<usize> {
    let count = count.max(1);
    // Units: the trials of each group, in order of first appearance.
    let mut unit_of = vec![0usize; costs.len()];
    let mut unit_cost: Vec<f64> = Vec::new();
    match groups {
        Some(groups) => {
            let mut seen = std::collections::HashMap::new();
            for (t, &g) in groups.iter().enumerate() {
                let unit = *seen.entry(g).or_insert_with(|| {
                    unit_cost.push(0.0);
                    unit_cost.len() - 1
                });
                unit_of[t] = unit;
                unit_cost[unit] += costs[t];
            }
        }
        None => {
            for (t, &c) in costs.iter().enumerate() {
                unit_of[t] = t;
                unit_cost.push(c);
            }
        }
    }
    let mut order: Vec<usize> = (0..unit_cost.len()).collect();
    order.sort_by(|&a, &b| unit_cost[b].total_cmp(&unit_cost[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; count];
    let mut shard_of_unit = vec![0usize; unit_cost.len()];
    for unit in order {
        let lightest = (0..count)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        shard_of_unit[unit] = lightest;
        load[lightest] += unit_cost[unit];
    }
    unit_of.iter().map(|&u| shard_of_unit[u]).collect()
}

/// Indices (into `sweep.trials`) of the trials of `shard`, in sweep order; every trial
/// when `shard` is `None`.
pub fn shard_trials(sweep: &Sweep, shard: Option<ShardSpec>) -> Vec<usize> {
    let Some(shard) = shard else {
        return (0..sweep.trials.len()).collect();
    };
    let shards = assign(
        &trial_costs(sweep),
        group_ids(sweep).as_deref(),
        shard.count,
    );
    shards
        .iter()
        .enumerate()
        .filter(|(_, &s)| s == shard.index - 1)
        .map(|(t, _)| t)
        .collect()
}

/// A group number per trial, equal for trials that share work (the protocol's shared-
/// work key); `None` when the kind's trials share none.
pub fn group_ids(sweep: &Sweep) -> Option<Vec<usize>> {
    let mut ids = std::collections::HashMap::new();
    sweep
        .trials
        .iter()
        .map(|t| {
            let key = sweep.protocol.shared_work_key(t)?;
            let next = ids.len();
            Some(*ids.entry(key).or_insert(next))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_and_refuse() {
        assert_eq!(
            "2/8".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 8 })
        );
        for bad in ["0/4", "5/4", "2", "a/b", "1/0", "1/1000000", ""] {
            let err = bad.parse::<ShardSpec>().unwrap_err();
            assert!(err.contains("expected K/N"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_trial_lands_in_exactly_one_shard_and_loads_balance() {
        // Costs 1..=10: total 55, two shards by LPT: 10,7,6,3,2 = 28 vs 9,8,5,4,1 = 27.
        let costs: Vec<f64> = (1..=10).map(f64::from).collect();
        let shards = assign(&costs, None, 2);
        assert_eq!(shards.len(), 10);
        let load = |s: usize| -> f64 {
            costs
                .iter()
                .zip(&shards)
                .filter(|(_, &x)| x == s)
                .map(|(c, _)| c)
                .sum()
        };
        assert_eq!(load(0) + load(1), 55.0);
        assert_eq!((load(0), load(1)), (28.0, 27.0));
        // The same answer every time, and more shards than trials leaves some empty.
        assert_eq!(assign(&costs, None, 2), shards);
        let many = assign(&costs[..3], None, 5);
        assert_eq!(many, vec![2, 1, 0]);
    }

    #[test]
    fn groups_stay_together() {
        let costs = [5.0, 5.0, 1.0, 1.0, 3.0, 3.0];
        let groups = [0, 0, 1, 1, 2, 2];
        let shards = assign(&costs, Some(&groups), 2);
        assert_eq!(shards[0], shards[1]);
        assert_eq!(shards[2], shards[3]);
        assert_eq!(shards[4], shards[5]);
        // Group 0 (10) alone; groups 2 (6) and 1 (2) together.
        assert_ne!(shards[0], shards[4]);
        assert_eq!(shards[4], shards[2]);
    }
}
