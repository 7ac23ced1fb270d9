//! The reply linter (being written).
