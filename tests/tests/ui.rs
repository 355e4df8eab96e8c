//! trybuild UI tests of the macros: one diagnostic per file under
//! `ui/<macro>/`, each with its reviewed `.stderr`, and `ui/pass/` for what
//! must compile. See specs/macros.md for the diagnostics (MAC-* IDs).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/ring_message/*.rs");
    t.compile_fail("ui/channel/*.rs");
    t.pass("ui/pass/*.rs");
}
