//! Parameter checks shared by every strategy, so a bad value fails when the config is
//! checked (the registry's build step), before any training, with the parameter named.

use sieve_bench_core::StrategyError;

/// A parameter struct that can check its own ranges.
pub trait ValidateParams {
    /// `Ok` when every value is usable; otherwise `StrategyError::InvalidParameter`
    /// naming the first bad parameter.
    fn validate(&self, strategy: &str) -> Result<(), StrategyError>;
}

/// The error for a bad value of `param`.
pub fn invalid(strategy: &str, param: &str, message: impl Into<String>) -> StrategyError {
    StrategyError::InvalidParameter {
        strategy: strategy.to_string(),
        param: param.to_string(),
        message: message.into(),
    }
}

/// `value >= min`.
pub fn at_least(
    strategy: &str,
    param: &str,
    value: usize,
    min: usize,
) -> Result<(), StrategyError> {
    if value < min {
        return Err(invalid(
            strategy,
            param,
            format!("must be at least {min}, got {value}"),
        ));
    }
    Ok(())
}

/// `value <= max`: bounds a count that sizes an allocation (MC passes, configurations),
/// so a typo is an error instead of an out-of-memory abort.
pub fn at_most(strategy: &str, param: &str, value: usize, max: usize) -> Result<(), StrategyError> {
    if value > max {
        return Err(invalid(
            strategy,
            param,
            format!("must be at most {max}, got {value}"),
        ));
    }
    Ok(())
}

/// Most MC-dropout passes a strategy may ask for (each is a forward pass over the pool
/// and a `pool x classes` matrix kept in memory).
pub const MAX_MC_SAMPLES: usize = 10_000;

/// `value` finite and `min <= value` (`min < value` when `exclusive_min`) and `value <= max`.
pub fn in_range(
    strategy: &str,
    param: &str,
    value: f64,
    (min, exclusive_min): (f64, bool),
    max: f64,
) -> Result<(), StrategyError> {
    let above = if exclusive_min {
        value > min
    } else {
        value >= min
    };
    if !value.is_finite() || !above || value > max {
        let lower = if exclusive_min { "(" } else { "[" };
        return Err(invalid(
            strategy,
            param,
            format!("must be a finite number in {lower}{min}, {max}], got {value}"),
        ));
    }
    Ok(())
}

/// A strategy's parameters as the compact JSON recorded in `strategy_params`.
pub fn to_json(params: &impl serde::Serialize) -> String {
    serde_json::to_string(params).unwrap_or_else(|_| "{}".into())
}
