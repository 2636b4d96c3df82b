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
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return Err(JamfError::InvalidId("computer id is empty".into()));
    }
    if let Some(c) = trimmed.chars().find(|c| !c.is_ascii_digit()) {
        return Err(JamfError::InvalidId(format!(
            "computer id {trimmed:?} contains {c:?}: only digits"
        )));
    }
    if trimmed.len() > 19 {
        return Err(JamfError::InvalidId(format!(
            "computer id {trimmed:?} is too long: at most 19 digits"
        )));
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_number_is_a_string_in_json_and_its_schema() {
        let schema = serde_json::to_value(schemars::schema_for!(SerialNumber)).unwrap();
        assert_eq!(schema["type"], "string", "{schema}");
        let serial = SerialNumber::parse("c02abc12345").unwrap();
        assert_eq!(serde_json::to_value(&serial).unwrap(), "C02ABC12345");
    }
}
