//! Cold start: strategies that choose the initial labeled set before any model exists.
