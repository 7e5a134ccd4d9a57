//! Budget schedules: the initial labeled set, the query batch and when to stop.

use serde::{Deserialize, Serialize};

use crate::CoreError;

/// How many labels a trial holds at each round.
/// Either `rounds` (number of queries after the initial set) or `final_budget` must be set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSchedule {
    /// Name used in records; defaults to `i{initial}-q{query}-n{final}`.
    #[serde(default)]
    pub name: Option<String>,
    /// Size of the initial labeled set.
    pub initial: usize,
    /// Labels acquired per query round.
    pub query: usize,
    /// Number of query rounds after the initial set.
    #[serde(default)]
    pub rounds: Option<usize>,
    /// Labeled count to stop at (the last query is shortened to land exactly on it).
    #[serde(default)]
    pub final_budget: Option<usize>,
    /// How the initial set is chosen (cold start): `random` (default), `kmeans`, `typiclust`.
    #[serde(default)]
    pub init_strategy: Option<String>,
    /// Parameters of the init strategy.
    #[serde(default)]
    pub init_params: Option<serde_json::Value>,
}

/// Most query rounds a schedule may ask for: more is a typo, not an experiment (and would
/// allocate the size list before any check).
pub const MAX_ROUNDS: usize = 100_000;

impl BudgetSchedule {
    /// The labeled count at the last evaluation, or `None` when it overflows.
    pub fn last_size(&self) -> Option<usize> {
        match (self.rounds, self.final_budget) {
            (Some(rounds), _) => rounds
                .checked_mul(self.query)
                .and_then(|q| q.checked_add(self.initial)),
            (None, Some(last)) => Some(last.max(self.initial)),
            (None, None) => Some(self.initial),
        }
    }

    /// Evaluations of a trial (rounds + 1), computed without listing them.
    pub fn evaluations(&self) -> usize {
        match (self.rounds, self.final_budget) {
            (Some(rounds), _) => rounds.saturating_add(1),
            (None, Some(last)) if self.query > 0 => {
                last.saturating_sub(self.initial).div_ceil(self.query) + 1
            }
            _ => 1,
        }
    }

    /// Labeled counts at each evaluation, starting with the initial set. Call after
    /// [`BudgetSchedule::validate`] (which bounds the list by the pool).
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.initial];
        match (self.rounds, self.final_budget) {
            (Some(rounds), _) => {
                for r in 1..=rounds {
                    sizes.push(self.initial + r * self.query);
                }
            }
            (None, Some(last)) => {
                let mut current = self.initial;
                while current < last && self.query > 0 {
                    current = (current + self.query).min(last);
                    sizes.push(current);
                }
            }
            (None, None) => {}
        }
        sizes
    }

    /// The init strategy's name (`random` when unset).
    pub fn init_name(&self) -> &str {
        self.init_strategy.as_deref().unwrap_or("random")
    }

    /// The name used in records: `i{initial}-q{query}-n{final}`, plus `-{init}` for a
    /// cold-start strategy other than random.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let last = self.last_size().unwrap_or(usize::MAX);
            let init = match self.init_name() {
                "random" => String::new(),
                other => format!("-{other}"),
            };
            format!("i{}-q{}-n{}{init}", self.initial, self.query, last)
        })
    }

    /// Checks the schedule against a pool of `pool_size` examples; `field` prefixes errors.
    pub fn validate(&self, field: &str, pool_size: Option<usize>) -> Result<(), CoreError> {
        if self.initial == 0 {
            return Err(CoreError::invalid(
                format!("{field}.initial"),
                "must be at least 1",
            ));
        }
        if self.query == 0 {
            return Err(CoreError::invalid(
                format!("{field}.query"),
                "must be at least 1",
            ));
        }
        match (self.rounds, self.final_budget) {
            (Some(_), Some(_)) => {
                return Err(CoreError::invalid(
                    field,
                    "set either `rounds` or `final_budget`, not both",
                ))
            }
            (None, None) => {
                return Err(CoreError::invalid(field, "set `rounds` or `final_budget`"));
            }
            (None, Some(last)) if last <= self.initial => {
                return Err(CoreError::invalid(
                    format!("{field}.final_budget"),
                    format!("must exceed `initial` ({}), got {last}", self.initial),
                ))
            }
            (Some(rounds), None) if rounds > MAX_ROUNDS => {
                return Err(CoreError::invalid(
                    format!("{field}.rounds"),
                    format!("must be at most {MAX_ROUNDS}, got {rounds}"),
                ))
            }
            _ => {}
        }
        let Some(last) = self.last_size() else {
            return Err(CoreError::invalid(
                format!("{field}.query"),
                format!(
                    "initial + rounds x query overflows ({} + {} x {})",
                    self.initial,
                    self.rounds.unwrap_or(0),
                    self.query
                ),
            ));
        };
        if self.evaluations() > MAX_ROUNDS + 1 {
            return Err(CoreError::invalid(
                format!("{field}.query"),
                format!(
                    "{} rounds from {} to {last} by {}: at most {MAX_ROUNDS} rounds",
                    self.evaluations() - 1,
                    self.initial,
                    self.query
                ),
            ));
        }
        if let Some(pool) = pool_size {
            if last > pool {
                return Err(CoreError::invalid(
                    field,
                    format!("the final budget {last} is larger than the pool ({pool} examples)"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(rounds: Option<usize>, final_budget: Option<usize>) -> BudgetSchedule {
        BudgetSchedule {
            name: None,
            initial: 10,
            query: 20,
            rounds,
            final_budget,
            init_strategy: None,
            init_params: None,
        }
    }

    #[test]
    fn sizes_follow_rounds_or_final_budget() {
        assert_eq!(schedule(Some(3), None).sizes(), vec![10, 30, 50, 70]);
        assert_eq!(schedule(None, Some(55)).sizes(), vec![10, 30, 50, 55]);
        assert_eq!(schedule(Some(3), None).label(), "i10-q20-n70");
        let cold = BudgetSchedule {
            init_strategy: Some("typiclust".into()),
            ..schedule(Some(3), None)
        };
        assert_eq!(cold.label(), "i10-q20-n70-typiclust");
    }

    #[test]
    fn huge_values_are_refused_before_anything_is_allocated() {
        let huge = schedule(Some(4_294_967_295), None);
        let err = huge
            .validate("budget[0]", Some(1000))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("budget[0].rounds"), "{err}");
        assert_eq!(huge.evaluations(), 4_294_967_296);
        let wraps = BudgetSchedule {
            query: usize::MAX / 2 + 1,
            ..schedule(Some(2), None)
        };
        let err = wraps
            .validate("budget[1]", Some(1000))
            .unwrap_err()
            .to_string();
        assert!(err.contains("overflows"), "{err}");
        assert!(!wraps.label().is_empty());
        let many = BudgetSchedule {
            query: 1,
            ..schedule(None, Some(10_000_000))
        };
        assert!(many.validate("b", None).is_err());
    }

    #[test]
    fn validation_names_the_field() {
        let err = schedule(Some(3), None)
            .validate("budget[0]", Some(50))
            .unwrap_err();
        assert!(err.to_string().contains("budget[0]"), "{err}");
        assert!(err.to_string().contains("larger than the pool"), "{err}");
        assert!(schedule(None, None).validate("b", None).is_err());
        assert!(schedule(Some(1), Some(40)).validate("b", None).is_err());
    }
}
