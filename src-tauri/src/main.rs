// The menu-bar app's entry point; everything lives in the library so tests can boot it.
fn main() {
    latchkey_app::run();
}
