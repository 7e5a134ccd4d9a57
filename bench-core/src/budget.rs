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

impl BudgetSchedule {
    /// Labeled counts at each evaluation, starting with the initial set.
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
            let last = self.sizes().last().copied().unwrap_or(self.initial);
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
            _ => {}
        }
        if let Some(pool) = pool_size {
            let last = self.sizes().last().copied().unwrap_or(self.initial);
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
