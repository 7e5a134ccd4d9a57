//! Run-time backend selection: a generic tensor moved into its concrete CPU type and back.

use std::any::Any;

/// Moves `value` into type `U` when `T` is `U` (checked at run time), else hands it back.
pub(crate) fn cast<T: 'static, U: 'static>(value: T) -> Result<U, T> {
    let mut slot = Some(value);
    match (&mut slot as &mut dyn Any).downcast_mut::<Option<U>>() {
        Some(target) => Ok(target
            .take()
            .expect("the slot holds the value just moved in")),
        None => Err(slot.expect("the slot is untouched when the types differ")),
    }
}

/// Moves a value back to the type it was [`cast`] from.
pub(crate) fn cast_back<T: 'static, U: 'static>(value: T) -> U {
    match cast::<T, U>(value) {
        Ok(v) => v,
        Err(_) => unreachable!("cast back to the type the value came from"),
    }
}

/// A module parameter on `T`, the backend its layer's input was just found to be on.
pub(crate) fn param_on<B: 'static, T: 'static>(param: B) -> T {
    match cast::<B, T>(param) {
        Ok(p) => p,
        Err(_) => unreachable!("a module's parameters live on the backend of its input"),
    }
}
