//! Cross-crate integration tests of `ringmpsc` and its macros; the tests
//! live in `tests/tests/`, the compile-fail and pass cases in `tests/ui/`.
