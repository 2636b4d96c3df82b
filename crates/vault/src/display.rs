//! Text from outside (a credential's label, an assistant's name or path) made safe to show
//! in a presence prompt, a dialog or a terminal.
//!
//! A label `Acme\u{202E}gnp.exe` renders as "Acmeexe.png" where bidi overrides are honoured,
//! and a name holding `\x1b[2J` clears the terminal that prints it. Every control character
//! (C0, DEL, C1) and every bidi control is dropped; the visible text is kept.

use std::borrow::Cow;

/// `text` without control characters or bidi controls; borrowed when there were none.
pub fn display_safe(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_hidden) {
        Cow::Owned(text.chars().filter(|&c| !is_hidden(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// C0, DEL and C1 controls; the bidi marks, embeddings, overrides and isolates (U+061C,
/// U+200E/F, U+202A–U+202E, U+2066–U+2069); and the line and paragraph separators.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_escapes_are_dropped() {
        assert_eq!(display_safe("Acme\u{202E}gnp.exe"), "Acmegnp.exe");
        assert_eq!(display_safe("evil\x1b[2Jname"), "evil[2Jname");
        assert_eq!(
            display_safe("a\u{2066}b\u{2069}c\u{200F}\u{0085}\u{7f}\r\n\t"),
            "abc"
        );
    }

    #[test]
    fn ordinary_text_is_borrowed_untouched() {
        assert!(matches!(
            display_safe("Acme prod — Jamf Pro (東京)"),
            Cow::Borrowed("Acme prod — Jamf Pro (東京)")
        ));
    }
}
