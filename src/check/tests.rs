//! Scheduling tests.
