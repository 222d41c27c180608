//! Harness that runs a real Janus inside the project's private network namespace.
