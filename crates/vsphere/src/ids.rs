//! What may go into a URL path or a filter: vCenter's ids (`vm-123`, `host-12`, `domain-c7`,
//! `datastore-15`, `group-v4`) are short runs of letters, digits and `-_.:` starting with a letter or digit; names are checked
//! only for length and control characters, as they travel as query values, never in a path.

use crate::VsphereError;

/// `id` if it can be one of vCenter's ids; `what` names it in the error.
pub(crate) fn valid_id(id: &str, what: &str) -> Result<(), VsphereError> {
    // Starting with a letter or digit, so never `.` or `..`, which a URL would resolve.
    let ok = (1..=80).contains(&id.len())
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(VsphereError::InvalidArgument(format!(
            "a {what} id is 1 to 80 letters, digits, '-', '_', '.' or ':' (such as vm-123 or \
             host-12)"
        )))
    }
}

/// A name vCenter could hold: 1 to 80 characters, no control characters.
pub(crate) fn valid_name(name: &str, what: &str) -> Result<(), VsphereError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(VsphereError::InvalidArgument(format!(
            "a {what} is 1 to 80 characters without control characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_reach_another_path() {
        for ok in ["vm-123", "host-12", "domain-c7", "datastore-15", "group-v4"] {
            assert!(valid_id(ok, "VM").is_ok(), "{ok}");
        }
        for bad in [
            "",
            "vm/123",
            "../session",
            "vm-1?action=stop",
            "vm 1",
            "vm-1%2f",
            "..",
            ".",
        ] {
            assert!(valid_id(bad, "VM").is_err(), "{bad}");
        }
    }
}
