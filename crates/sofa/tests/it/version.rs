//! Version math: numeric, padded to three parts, RSR letters after the base version.

use latchkey_sofa::{SofaError, Version};

fn v(text: &str) -> Version {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn padding_makes_short_versions_equal() {
    assert_eq!(v("15.1"), v("15.1.0"));
    assert_eq!(v("26"), v("26.0.0"));
    assert_eq!(v(" 14.4.1 "), Version::new(14, 4, 1));
}

#[test]
fn parts_compare_as_numbers() {
    assert!(v("15.10") > v("15.9"));
    assert!(v("15.7.10") > v("15.7.9"));
    assert!(v("26.0") > v("15.99.99"));
    assert!(v("2.6") < v("26.0"));
}

#[test]
fn rsr_letters_sort_between_base_and_next() {
    let ordered = ["13.4", "13.4.1", "13.4.1 (a)", "13.4.1 (c)", "13.5"];
    for pair in ordered.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("13.4.1(a)"), v("13.4.1 (a)"));
    assert_eq!(v("13.4.1 (A)"), v("13.4.1 (a)"));
    assert_eq!(v("13.4.1 (c)").rsr(), Some('c'));
    assert_eq!(v("13.4.1").rsr(), None);
}

#[test]
fn display_is_apples_spelling() {
    for (input, shown) in [
        ("15.1.0", "15.1"),
        ("26", "26.0"),
        ("14.4.1", "14.4.1"),
        ("13.4.1(c)", "13.4.1 (c)"),
    ] {
        assert_eq!(v(input).to_string(), shown);
        assert_eq!(v(shown), v(input), "display round-trips");
    }
}

#[test]
fn serializes_as_a_string_and_back() {
    let json = serde_json::to_string(&v("13.4.1 (a)")).expect("serialize");
    assert_eq!(json, "\"13.4.1 (a)\"");
    let back: Version = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, v("13.4.1 (a)"));
    assert!(serde_json::from_str::<Version>("\"fifteen\"").is_err());
}

#[test]
fn malformed_versions_are_errors_naming_the_input() {
    for bad in [
        "",
        "  ",
        "15.",
        ".1",
        "15..1",
        "15.1.2.3",
        "15.x",
        "v15",
        "-1",
        "15.1 (ab)",
        "15.1 (1)",
        "15.1)",
        "(a)",
        "99999999999",
    ] {
        match bad.parse::<Version>() {
            Err(SofaError::InvalidVersion { input, reason }) => {
                assert_eq!(input, bad, "error names the input");
                assert!(!reason.is_empty());
            }
            other => panic!("{bad:?} should be invalid, got {other:?}"),
        }
    }
    let long = "9".repeat(500);
    let message = long.parse::<Version>().expect_err("too long").to_string();
    assert!(
        message.len() < 200,
        "long inputs are cut in messages: {message}"
    );
}
