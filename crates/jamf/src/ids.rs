//! Validated identifiers. They go into URL paths and RSQL filters, so they are checked here,
//! once, and rejected with a message that says what is wrong rather than sent as typed.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::JamfError;

/// An Apple serial number: trimmed, upper-cased, 8–14 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct SerialNumber(String);

impl SerialNumber {
    /// Checks and normalizes a serial number as a person might type it.
    pub fn parse(s: &str) -> Result<Self, JamfError> {
        let trimmed = s.trim();
        let bad = |why: String| {
            Err(JamfError::InvalidSerial(format!(
                "serial number {trimmed:?} {why}"
            )))
        };
        if let Some(c) = trimmed.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return bad(format!("contains {c:?}: only letters and digits"));
        }
        match trimmed.len() {
            0 => Err(JamfError::InvalidSerial("serial number is empty".into())),
            n @ ..8 => bad(format!("is {n} characters: serial numbers have 8 to 14")),
            n @ 15.. => bad(format!("is {n} characters: serial numbers have 8 to 14")),
            _ => Ok(Self(trimmed.to_ascii_uppercase())),
        }
    }

    /// The normalized serial number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SerialNumber {
    type Err = JamfError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for SerialNumber {
    type Error = JamfError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SerialNumber> for String {
    fn from(s: SerialNumber) -> Self {
        s.0
    }
}

/// Which computer a call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComputerRef {
    /// Jamf's computer id (digits only; checked again before use, since the variant is public).
    Id(String),
    /// The computer's serial number.
    Serial(SerialNumber),
}

impl ComputerRef {
    /// A computer by Jamf id: 1 to 19 ASCII digits after trimming.
    pub fn id(s: &str) -> Result<Self, JamfError> {
        valid_id(s).map(|id| Self::Id(id.to_owned()))
    }

    /// A computer by serial number, validated as [`SerialNumber::parse`] does.
    pub fn serial(s: &str) -> Result<Self, JamfError> {
        SerialNumber::parse(s).map(Self::Serial)
    }
}

impl fmt::Display for ComputerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComputerRef::Id(id) => write!(f, "computer id {id}"),
            ComputerRef::Serial(s) => write!(f, "computer with serial number {s}"),
        }
    }
}

/// Digits only, so an id can never change the shape of a URL path.
pub(crate) fn valid_id(s: &str) -> Result<&str, JamfError> {
    digits("computer id", s)
}

/// 1 to 19 ASCII digits after trimming, or an error naming `what` and why.
fn digits<'a>(what: &str, s: &'a str) -> Result<&'a str, JamfError> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(JamfError::InvalidId(format!("{what} is empty")));
    }
    if let Some(c) = trimmed.chars().find(|c| !c.is_ascii_digit()) {
        return Err(JamfError::InvalidId(format!(
            "{what} {trimmed:?} contains {c:?}: only digits"
        )));
    }
    if trimmed.len() > 19 {
        return Err(JamfError::InvalidId(format!(
            "{what} {trimmed:?} is too long: at most 19 digits"
        )));
    }
    Ok(trimmed)
}

/// A numeric Jamf id as its own type, so a group id cannot be passed where a computer id is
/// meant. A string in JSON, as Jamf sends ids.
macro_rules! numeric_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            #[doc = concat!("Checks a ", $what, ": 1 to 19 ASCII digits after trimming.")]
            pub fn parse(s: &str) -> Result<Self, JamfError> {
                digits($what, s).map(|id| Self(id.to_owned()))
            }

            /// The id's digits.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = JamfError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = JamfError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

numeric_id!(
    /// Jamf's id of a computer, e.g. "12".
    ComputerId,
    "computer id"
);

numeric_id!(
    /// Jamf's id of a computer group (smart or static), e.g. "3".
    ComputerGroupId,
    "computer group id"
);

impl From<ComputerId> for ComputerRef {
    fn from(id: ComputerId) -> Self {
        ComputerRef::Id(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_strings_in_json_and_name_their_kind_when_wrong() {
        let id = ComputerId::parse(" 42 ").unwrap();
        assert_eq!(serde_json::to_value(&id).unwrap(), "42");
        assert_eq!(
            serde_json::from_value::<ComputerId>("7".into())
                .unwrap()
                .as_str(),
            "7"
        );
        assert!(serde_json::from_value::<ComputerId>("7/../x".into()).is_err());
        let schema = serde_json::to_value(schemars::schema_for!(ComputerGroupId)).unwrap();
        assert_eq!(schema["type"], "string", "{schema}");
        let err = ComputerGroupId::parse("1;2").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"computer group id "1;2" contains ';': only digits"#
        );
        assert_eq!(
            ComputerId::parse("").unwrap_err().to_string(),
            "computer id is empty"
        );
    }

    #[test]
    fn a_serial_number_is_a_string_in_json_and_its_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(SerialNumber)).unwrap();
        assert_eq!(schema["type"], "string", "{schema}");
        let serial = SerialNumber::parse("c02abc12345").unwrap();
        assert_eq!(serde_json::to_value(&serial).unwrap(), "C02ABC12345");
    }
}
