//! A class-balanced random initial set, as Gal, Islam & Ghahramani (2017) start from 20
//! labels balanced over the ten MNIST classes: `count / C` examples of each class at
//! random, the `count mod C` remaining ones to classes drawn at random. It reads the
//! pool's labels, so it simulates a protocol whose first labels were balanced by hand;
//! examples of out-of-distribution classes are never chosen. A class with too few
//! examples gives all of them, and its shortfall goes to the others.

use rand::seq::index::sample;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use sieve_bench_core::StrategyError;

use super::{check_count, Features, InitStrategy};

/// `count` examples spread evenly over the classes.
#[derive(Debug, Default)]
pub struct BalancedInit;

impl InitStrategy for BalancedInit {
    fn name(&self) -> &'static str {
        "balanced"
    }

    fn select_initial(
        &self,
        features: &Features<'_>,
        count: usize,
        rng: &mut ChaCha8Rng,
    ) -> Result<Vec<usize>, StrategyError> {
        let Some((labels, classes)) = features.labels else {
            return Err(StrategyError::Request {
                strategy: self.name().into(),
                message: "needs the pool's labels, which this caller did not give".into(),
            });
        };
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes];
        for (i, &label) in labels.iter().enumerate() {
            if let Some(list) = members.get_mut(label as usize) {
                list.push(i);
            }
        }
        let available: usize = members.iter().map(Vec::len).sum();
        check_count(self.name(), count, available)?;
        // Quotas: an even share each, the remainder to a random order of classes, and
        // any class's shortfall moved on to classes with examples to spare.
        let mut quota = vec![count / classes.max(1); classes];
        let mut order: Vec<usize> = (0..classes).collect();
        order.shuffle(rng);
        for &c in order.iter().take(count % classes.max(1)) {
            quota[c] += 1;
        }
        let mut spare: usize = 0;
        for c in 0..classes {
            if quota[c] > members[c].len() {
                spare += quota[c] - members[c].len();
                quota[c] = members[c].len();
            }
        }
        while spare > 0 {
            let mut moved = false;
            for &c in &order {
                if spare > 0 && quota[c] < members[c].len() {
                    quota[c] += 1;
                    spare -= 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        let mut picks = Vec::with_capacity(count);
        for c in 0..classes {
            picks.extend(
                sample(rng, members[c].len(), quota[c])
                    .into_iter()
                    .map(|k| members[c][k]),
            );
        }
        Ok(picks)
    }
}
