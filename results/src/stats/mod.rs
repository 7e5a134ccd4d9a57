//! Statistics over repeats: descriptive estimates, the Student t distribution they
//! rest on, and paired differences against the reference.

pub mod descriptive;
pub mod paired;
mod special;
pub mod student_t;
