//! Apple OS version numbers compared as numbers, per the fixtures README:
//! padded to three parts (`15.1` == `15.1.0`, `15.10` > `15.9`) plus a Rapid Security
//! Response letter (`13.4.1` < `13.4.1 (a)` < `13.4.1 (c)` < `13.5`).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::SofaError;

/// A parsed version. Field order gives the derived ordering: major, minor, patch, RSR letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Version {
    major: u32,
    minor: u32,
    patch: u32,
    /// 0 when there is no RSR letter, else the lowercase ASCII letter; 0 sorts before any letter.
    rsr: u8,
}

impl Version {
    /// A plain version without an RSR letter.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
            rsr: 0,
        }
    }

    /// The major number (`26` in `26.4`).
    pub const fn major(&self) -> u32 {
        self.major
    }

    /// The minor number (`4` in `26.4`).
    pub const fn minor(&self) -> u32 {
        self.minor
    }

    /// The patch number, 0 when absent.
    pub const fn patch(&self) -> u32 {
        self.patch
    }

    /// The Rapid Security Response letter (`a` in `13.4.1 (a)`), if any.
    pub fn rsr(&self) -> Option<char> {
        (self.rsr != 0).then_some(char::from(self.rsr))
    }

    /// The version of a feed release: the letter comes from a `(a)` suffix in ProductVersion,
    /// else from UpdateName, else from a ReleaseType like `RSR_a`.
    pub(crate) fn of_release(
        product_version: &str,
        update_name: Option<&str>,
        release_type: Option<&str>,
    ) -> Result<Self, SofaError> {
        let mut version: Self = product_version.parse()?;
        if version.rsr == 0 {
            version.rsr = update_name
                .and_then(letter_in_parens)
                .or_else(|| release_type.and_then(rsr_release_type))
                .unwrap_or(0);
        }
        Ok(version)
    }
}

/// The first `(x)` with a single ASCII letter x, lowercased.
fn letter_in_parens(text: &str) -> Option<u8> {
    text.as_bytes()
        .windows(3)
        .find(|w| w[0] == b'(' && w[1].is_ascii_alphabetic() && w[2] == b')')
        .map(|w| w[1].to_ascii_lowercase())
}

/// `RSR_a` -> `a`.
fn rsr_release_type(release_type: &str) -> Option<u8> {
    match release_type.strip_prefix("RSR_")?.as_bytes() {
        [c] if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

fn invalid(input: &str, reason: &'static str) -> SofaError {
    // Cut long inputs so an error message stays readable (and bounded for fuzzed input).
    let input = match input.char_indices().nth(64) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_owned(),
    };
    SofaError::InvalidVersion { input, reason }
}

impl FromStr for Version {
    type Err = SofaError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let text = input.trim();
        if text.is_empty() {
            return Err(invalid(input, "empty"));
        }
        let (numbers, rsr) = match text.strip_suffix(')') {
            Some(head) => {
                let (numbers, letter) = head
                    .rsplit_once('(')
                    .ok_or_else(|| invalid(input, "unbalanced parenthesis"))?;
                match letter.trim().as_bytes() {
                    [c] if c.is_ascii_alphabetic() => (numbers.trim_end(), c.to_ascii_lowercase()),
                    _ => return Err(invalid(input, "RSR suffix must be one letter, like (a)")),
                }
            }
            None => (text, 0),
        };
        let mut parts = [0u32; 3];
        for (i, part) in numbers.split('.').enumerate() {
            let slot = parts
                .get_mut(i)
                .ok_or_else(|| invalid(input, "more than three numeric parts"))?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(input, "expected numbers like 15.1 or 13.4.1 (a)"));
            }
            *slot = part
                .parse()
                .map_err(|_| invalid(input, "number too large"))?;
        }
        let [major, minor, patch] = parts;
        Ok(Self {
            major,
            minor,
            patch,
            rsr,
        })
    }
}

impl fmt::Display for Version {
    /// Apple's spelling: `26.0`, `15.1`, `14.4.1`, `13.4.1 (a)`; a zero patch is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        match self.rsr() {
            Some(letter) => write!(f, " ({letter})"),
            None => Ok(()),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Version {
    fn schema_name() -> Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An Apple OS version such as \"15.1\", \"14.4.1\" or \"13.4.1 (a)\" (Rapid Security Response letter in parentheses).",
            "examples": ["26.4", "15.7.5", "13.4.1 (a)"]
        })
    }
}
