use latchkey_jamf::{ComputerRef, JamfError, Section, SerialNumber};

#[test]
fn serial_numbers_are_trimmed_uppercased_and_checked() {
    let ok = [
        ("C02ABC12345", "C02ABC12345"),
        ("  c02abc12345\n", "C02ABC12345"),
        ("ABCDEFGH", "ABCDEFGH"),
        ("ABCDEFGHIJKLMN", "ABCDEFGHIJKLMN"),
        ("dmqvgc0dhla0", "DMQVGC0DHLA0"),
    ];
    for (input, expected) in ok {
        assert_eq!(
            SerialNumber::parse(input).unwrap().as_str(),
            expected,
            "{input:?}"
        );
    }
    let bad = [
        (
            "ab-12",
            r#"serial number "ab-12" contains '-': only letters and digits"#,
        ),
        ("", "serial number is empty"),
        ("   ", "serial number is empty"),
        (
            "ABC1234",
            r#"serial number "ABC1234" is 7 characters: serial numbers have 8 to 14"#,
        ),
        (
            "ABCDEFGHIJKLMNO",
            r#"serial number "ABCDEFGHIJKLMNO" is 15 characters: serial numbers have 8 to 14"#,
        ),
        (
            "C02 ABC 1234",
            r#"serial number "C02 ABC 1234" contains ' ': only letters and digits"#,
        ),
        (
            "C02\"ABC1234",
            r#"serial number "C02\"ABC1234" contains '"': only letters and digits"#,
        ),
        (
            "C02ÄBC12345",
            r#"serial number "C02ÄBC12345" contains 'Ä': only letters and digits"#,
        ),
        (
            "C02ABC*",
            r#"serial number "C02ABC*" contains '*': only letters and digits"#,
        ),
        (
            "../../etc",
            r#"serial number "../../etc" contains '.': only letters and digits"#,
        ),
    ];
    for (input, message) in bad {
        let err = SerialNumber::parse(input).unwrap_err();
        assert!(matches!(err, JamfError::InvalidSerial(_)), "{input:?}");
        assert_eq!(err.to_string(), message, "{input:?}");
    }
}

#[test]
fn serial_numbers_deserialize_through_validation() {
    let ok: SerialNumber = serde_json::from_str(r#"" c02abc12345 ""#).unwrap();
    assert_eq!(ok.as_str(), "C02ABC12345");
    assert!(serde_json::from_str::<SerialNumber>(r#""a/b""#).is_err());
}

#[test]
fn computer_ids_are_digits_only() {
    assert_eq!(
        ComputerRef::id(" 42 ").unwrap(),
        ComputerRef::Id("42".into())
    );
    for (input, message) in [
        ("", "computer id is empty"),
        ("4a", r#"computer id "4a" contains 'a': only digits"#),
        (
            "1/../2",
            r#"computer id "1/../2" contains '/': only digits"#,
        ),
        ("-1", r#"computer id "-1" contains '-': only digits"#),
        (
            "12345678901234567890",
            r#"computer id "12345678901234567890" is too long: at most 19 digits"#,
        ),
    ] {
        let err = ComputerRef::id(input).unwrap_err();
        assert_eq!(err.to_string(), message, "{input:?}");
    }
}

#[tokio::test]
async fn an_invalid_id_built_by_hand_is_still_refused_before_any_request() {
    let (mock, client) = crate::support::start(crate::support::mock::MockConfig::default()).await;
    let err = client
        .computer_inventory(&ComputerRef::Id("1?x=y".into()), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, JamfError::InvalidId(_)), "{err:?}");
    assert_eq!(mock.seen().len(), 0);
}

#[test]
fn section_names_parse_leniently_and_errors_list_the_valid_ones() {
    assert_eq!(
        "operating_system".parse::<Section>().unwrap(),
        Section::OperatingSystem
    );
    assert_eq!(
        "Disk-Encryption".parse::<Section>().unwrap(),
        Section::DiskEncryption
    );
    assert_eq!(" GENERAL ".parse::<Section>().unwrap(), Section::General);
    let err = "BOGUS".parse::<Section>().unwrap_err().to_string();
    assert!(
        err.starts_with(
            r#"unknown inventory section "BOGUS"; valid sections: GENERAL, DISK_ENCRYPTION"#
        ),
        "{err}"
    );
    assert!(err.ends_with("GROUP_MEMBERSHIPS"), "{err}");
    for section in Section::ALL {
        assert_eq!(section.api_name().parse::<Section>().unwrap(), section);
        assert_eq!(serde_json::to_value(section).unwrap(), section.api_name());
    }
}
