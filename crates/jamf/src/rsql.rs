//! Typed RSQL filters. Jamf's list endpoints take a `filter=` query in RSQL; user input must never
//! be pasted into it. Field names come only from the constants below, every value is
//! double-quoted with `"` and `\` escaped, and `*` wildcards appear only where this module puts
//! them.
//!
//! A `*` in a user's value is **rejected**, not escaped: Jamf's RSQL parser strips the backslash
//! of `\*` before the value reaches the wildcard matcher, so an escaped star would still match
//! anything. Refusing it is the only way to keep the search the user asked for.

use std::fmt;

use crate::JamfError;

/// Longest value accepted in a filter; a longer one is surely not a name, serial or email.
const MAX_VALUE_LEN: usize = 256;

/// A field the filters may name. Only the constants here exist, so no caller can inject one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field(&'static str);

impl Field {
    /// Computer inventory: Jamf id.
    pub const ID: Field = Field("id");
    /// Computer inventory: computer name.
    pub const COMPUTER_NAME: Field = Field("general.name");
    /// Computer inventory: serial number.
    pub const COMPUTER_SERIAL: Field = Field("hardware.serialNumber");
    /// Computer inventory: assigned user's account name.
    pub const COMPUTER_USERNAME: Field = Field("userAndLocation.username");
    /// Computer inventory: assigned user's full name.
    pub const COMPUTER_REALNAME: Field = Field("userAndLocation.realname");
    /// Computer inventory: assigned user's email.
    pub const COMPUTER_EMAIL: Field = Field("userAndLocation.email");
    /// Mobile device inventory: device name.
    pub const MOBILE_NAME: Field = Field("displayName");
    /// Mobile device inventory: serial number.
    pub const MOBILE_SERIAL: Field = Field("serialNumber");
    /// Mobile device inventory: assigned user's account name.
    pub const MOBILE_USERNAME: Field = Field("username");
    /// Mobile device inventory: assigned user's email.
    pub const MOBILE_EMAIL: Field = Field("emailAddress");
    /// Mobile device inventory: assigned user's full name.
    pub const MOBILE_FULL_NAME: Field = Field("fullName");

    /// The field as RSQL spells it.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// A complete, well-formed RSQL expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(String);

impl Filter {
    /// `field=="value"`: exact match (Jamf compares case-insensitively).
    pub fn eq(field: Field, value: &str) -> Result<Self, JamfError> {
        Ok(Self(format!("{}=={}", field.0, quote(value, "", "")?)))
    }

    /// `field=="*value*"`: the value anywhere in the field.
    pub fn contains(field: Field, value: &str) -> Result<Self, JamfError> {
        Ok(Self(format!("{}=={}", field.0, quote(value, "*", "*")?)))
    }

    /// `field=="value*"`: the field starts with the value.
    pub fn starts_with(field: Field, value: &str) -> Result<Self, JamfError> {
        Ok(Self(format!("{}=={}", field.0, quote(value, "", "*")?)))
    }

    /// `field=in=("a","b")`: any of the values exactly. An empty list matches nothing, which
    /// RSQL cannot say, so it is refused.
    pub fn one_of<S: AsRef<str>>(field: Field, values: &[S]) -> Result<Self, JamfError> {
        if values.is_empty() {
            return Err(JamfError::InvalidArgument(format!(
                "a filter on {} needs at least one value",
                field.0
            )));
        }
        let quoted = values
            .iter()
            .map(|v| quote(v.as_ref(), "", ""))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(format!("{}=in=({})", field.0, quoted.join(","))))
    }

    /// Both must hold. Each side is parenthesized so precedence never surprises.
    pub fn and(self, other: Filter) -> Self {
        Self(format!("({}) and ({})", self.0, other.0))
    }

    /// Either may hold.
    pub fn or(self, other: Filter) -> Self {
        Self(format!("({}) or ({})", self.0, other.0))
    }

    /// Any of the filters; `None` for an empty list.
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::or)
    }

    /// All of the filters; `None` for an empty list.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Self> {
        filters.into_iter().reduce(Filter::and)
    }

    /// The expression, for the `filter=` query parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `"` + prefix + escaped value + suffix + `"`, after checking the value.
fn quote(value: &str, prefix: &str, suffix: &str) -> Result<String, JamfError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(JamfError::InvalidArgument("a search value is empty".into()));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(JamfError::InvalidArgument(format!(
            "a search value is {} bytes: at most {MAX_VALUE_LEN}",
            value.len()
        )));
    }
    if value.contains('*') {
        return Err(JamfError::InvalidArgument(format!(
            "search value {value:?} contains '*': wildcards are added by the search itself \
             and a literal '*' cannot be matched"
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(JamfError::InvalidArgument(format!(
            "search value {value:?} contains the control character {c:?}"
        )));
    }
    let mut out = String::with_capacity(value.len() + prefix.len() + suffix.len() + 4);
    out.push('"');
    out.push_str(prefix);
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str(suffix);
    out.push('"');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_are_escaped_everything_else_is_literal_inside_quotes() {
        let cases = [
            (r#"Bob's "Mac""#, r#"general.name=="Bob's \"Mac\"""#),
            (r"C:\temp\", r#"general.name=="C:\\temp\\""#),
            ("a,b;c", r#"general.name=="a,b;c""#),
            ("(x) or (y)", r#"general.name=="(x) or (y)""#),
            ("x\"==\"y", r#"general.name=="x\"==\"y""#),
            ("  padded  ", r#"general.name=="padded""#),
        ];
        for (input, expected) in cases {
            let filter = Filter::eq(Field::COMPUTER_NAME, input).unwrap();
            assert_eq!(filter.as_str(), expected, "input {input:?}");
        }
    }

    #[test]
    fn a_trailing_backslash_cannot_swallow_the_closing_quote() {
        let filter = Filter::contains(Field::COMPUTER_NAME, "ab\\").unwrap();
        assert_eq!(filter.as_str(), r#"general.name=="*ab\\*""#);
    }

    #[test]
    fn stars_in_input_are_refused_with_a_reason() {
        let err = Filter::contains(Field::COMPUTER_NAME, "Mac*").unwrap_err();
        assert!(err.to_string().contains("contains '*'"), "{err}");
        assert!(Filter::one_of(Field::ID, &["1", "*"]).is_err());
    }

    #[test]
    fn empty_long_and_control_values_are_refused() {
        assert!(Filter::eq(Field::COMPUTER_NAME, "  ").is_err());
        assert!(Filter::eq(Field::COMPUTER_NAME, &"x".repeat(257)).is_err());
        assert!(Filter::eq(Field::COMPUTER_NAME, "a\nb").is_err());
    }

    #[test]
    fn composition_parenthesizes_each_side() {
        let name = Filter::contains(Field::COMPUTER_NAME, "lab").unwrap();
        let serial = Filter::eq(Field::COMPUTER_SERIAL, "C02X").unwrap();
        let user = Filter::starts_with(Field::COMPUTER_USERNAME, "ann").unwrap();
        let combined = name.or(serial).and(user);
        assert_eq!(
            combined.as_str(),
            r#"((general.name=="*lab*") or (hardware.serialNumber=="C02X")) and (userAndLocation.username=="ann*")"#
        );
    }

    #[test]
    fn in_lists_quote_every_value() {
        let filter = Filter::one_of(Field::ID, &["1", "2\"", "3,4"]).unwrap();
        assert_eq!(filter.as_str(), r#"id=in=("1","2\"","3,4")"#);
        assert!(Filter::one_of::<&str>(Field::ID, &[]).is_err());
    }

    #[test]
    fn any_and_all_of_nothing_is_no_filter() {
        assert_eq!(Filter::any([]), None);
        assert_eq!(Filter::all([]), None);
    }
}
