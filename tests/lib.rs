//! Test doubles and helpers shared by the end-to-end scenarios.
