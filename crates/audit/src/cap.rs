//! The cap on a call's stored arguments. An assistant chooses its arguments, so without a cap
//! every call could add up to a whole MCP frame (1 MiB) to the log, and the log outlives the
//! assistant. Arguments longer than [`MAX_STORED_ARGUMENTS`] are stored as a stand-in object
//! holding their size, their SHA-256 and their beginning; the chain hashes what is stored,
//! like any other entry, so verification is unchanged.

use serde_json::json;
use sha2::{Digest, Sha256};

/// The most bytes of (redacted, canonical JSON) arguments an entry stores.
pub const MAX_STORED_ARGUMENTS: usize = 4096;

/// `arguments` (redacted JSON text) as stored: itself when it fits, else
/// `{"truncated": true, "bytes": N, "sha256": "<hex of all N bytes>", "head": "<their start>"}`,
/// never longer than [`MAX_STORED_ARGUMENTS`]. The hash is over the redacted text, so it
/// proves which arguments were sent to anyone holding them without confirming a guessed
/// secret that redaction hid.
pub(crate) fn capped(arguments: String) -> String {
    if arguments.len() <= MAX_STORED_ARGUMENTS {
        return arguments;
    }
    let sha256: String = Sha256::digest(arguments.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    // Escaping can lengthen the head (up to twice): shorten it in proportion until it fits.
    let mut keep = MAX_STORED_ARGUMENTS;
    loop {
        let head = &arguments[..arguments.floor_char_boundary(keep)];
        let stand_in = json!({
            "truncated": true,
            "bytes": arguments.len(),
            "sha256": sha256,
            "head": head,
        })
        .to_string();
        if stand_in.len() <= MAX_STORED_ARGUMENTS {
            return stand_in;
        }
        keep = (head.len() * MAX_STORED_ARGUMENTS / stand_in.len()).min(head.len() - 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_arguments_are_kept_as_they_are() {
        let text = json!({"serial": "C02XL0GHJGH5"}).to_string();
        assert_eq!(capped(text.clone()), text);
        let exactly = "x".repeat(MAX_STORED_ARGUMENTS);
        assert_eq!(capped(exactly.clone()), exactly);
    }

    #[test]
    fn long_arguments_become_a_stand_in_that_fits_whatever_they_hold() {
        for filler in ["a", "\"", "\\u0000", "é", "😀"] {
            let text = json!({ "padding": filler.repeat(100_000) }).to_string();
            let stored = capped(text.clone());
            assert!(
                stored.len() <= MAX_STORED_ARGUMENTS,
                "{filler}: {}",
                stored.len()
            );
            let stand_in: serde_json::Value = serde_json::from_str(&stored).unwrap();
            assert_eq!(stand_in["truncated"], true);
            assert_eq!(stand_in["bytes"], text.len());
            let digest: String = Sha256::digest(text.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(stand_in["sha256"], digest.as_str());
            let head = stand_in["head"].as_str().unwrap();
            assert!(text.starts_with(head) && head.len() > 1000, "{filler}");
        }
    }
}
