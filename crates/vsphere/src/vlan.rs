//! VLAN ids guessed from port-group names. vCenter's REST API has no VLAN ids (a network is an
//! id, a name and a type), so this reads names the way admins write them: `VLAN123`,
//! `vlan_123`, `VLAN-123 Servers`, `Prod VLAN 20`, `v123-web`, `v20_mgmt`. Anything returned is
//! a guess from the name, and the results say so.

/// The VLAN id a port-group `name` suggests, if any (1–4094).
pub fn vlan_from_name(name: &str) -> Option<u16> {
    let lower = name.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    // `vlan` followed by an optional separator and digits, starting a word.
    let mut from = 0;
    while let Some(at) = lower[from..].find("vlan").map(|i| i + from) {
        let starts_word = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let mut rest = &lower[at + 4..];
        if let Some(stripped) = rest.strip_prefix([' ', '_', '-', '.', ':']) {
            rest = stripped;
        }
        if starts_word && let Some(id) = leading_id(rest) {
            return Some(id);
        }
        from = at + 4;
    }
    // `v` and digits at the very start, ending the name or followed by a separator.
    lower.strip_prefix('v').and_then(leading_id)
}

/// Digits at the start of `text`, ending it or followed by a non-alphanumeric, as a VLAN id.
fn leading_id(text: &str) -> Option<u16> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let after = text.as_bytes().get(digits);
    if digits == 0 || digits > 4 || after.is_some_and(u8::is_ascii_alphanumeric) {
        return None;
    }
    text[..digits]
        .parse::<u16>()
        .ok()
        .filter(|id| (1..=4094).contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_admins_use_give_their_vlan() {
        for (name, id) in [
            ("VLAN123", 123),
            ("vlan_123", 123),
            ("VLAN-20 Servers", 20),
            ("Prod VLAN 20", 20),
            ("dvPG-VLAN.300-backup", 300),
            ("v123-web", 123),
            ("v20_mgmt", 20),
            ("V7", 7),
            ("VLAN4094", 4094),
        ] {
            assert_eq!(vlan_from_name(name), Some(id), "{name}");
        }
    }

    #[test]
    fn other_names_give_none() {
        for name in [
            "VM Network",
            "vMotion",
            "v2v-transfer",
            "VLAN",
            "VLAN0",
            "VLAN4095",
            "VLAN12345",
            "novlan12",
            "vlan12a",
            "server-v123",
            "v123abc",
        ] {
            assert_eq!(vlan_from_name(name), None, "{name}");
        }
    }
}
