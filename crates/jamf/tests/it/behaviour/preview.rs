//! Previews against the real SOFA feed of 2026-09-10 (see shared/fixtures/sofa). Figures used:
//! Sequoia 15.7.5 (2026-03-24), 15.7.7 (2026-05-11), 15.7.8 (2026-07-27), 15.7.9 (2026-08-06,
//! fixes CVE-2026-65400, actively exploited); Tahoe 26.6.2 (2026-08-17, 28 CVEs, none
//! exploited); Monterey 12.6.5 (exploited) dated 2023-10-31 but 12.6.6 (not) dated 2023-05-18
//! and 12.6.7 (exploited) 2023-06-21: release dates out of version order. Each missed release
//! is due its date + 7 days (exploited) or + 30; a plan takes the earliest.

use chrono::{DateTime, NaiveDateTime, Utc};
use latchkey_jamf::{
    ComputerId, DeadlinePolicy, PlanTarget, PlanVersion, PreviewAction, TargetComputer,
    TargetVersion, preview_software_update,
};

use crate::support::mock::MockConfig;
use crate::support::{sofa_feed, start};

fn mac(id: &str, version: Option<&str>) -> TargetComputer {
    TargetComputer {
        id: ComputerId::parse(id).unwrap(),
        serial: Some(format!("C02TEST{id:0>5}")),
        name: Some(format!("Mac {id}")),
        model: None,
        model_identifier: None,
        os_version: version.map(str::to_owned),
        management_id: None,
    }
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn local(text: &str) -> NaiveDateTime {
    text.parse().unwrap()
}

#[test]
fn the_deadline_is_the_earliest_of_the_missed_releases_deadlines() {
    let Some(feed) = sofa_feed() else { return };
    let macs = [mac("1", Some("15.7.4")), mac("2", Some("15.7.7"))];
    let now = at("2026-03-01T09:00:00Z");
    let preview = preview_software_update(
        &macs,
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        now,
    )
    .unwrap();
    assert_eq!(preview.plans.len(), 1);
    let plan = &preview.plans[0];
    assert_eq!(plan.target_version, "15.7.9");
    // 15.7.5 + 30 = 2026-04-23 comes before 15.7.9's exploited fix + 7 = 2026-08-13.
    assert_eq!(plan.deadline, local("2026-04-23T17:00:00"));
    assert_eq!(
        plan.deadline_reason,
        "30 days after 15.7.5 (2026-03-24), which fixes no actively exploited CVE: the earliest \
         deadline of the releases missed"
    );
    assert_eq!(plan.actively_exploited_cve_ids, ["CVE-2026-65400"]);
    assert_eq!(
        plan.plan.target,
        PlanTarget::Computers(vec![
            ComputerId::parse("1").unwrap(),
            ComputerId::parse("2").unwrap()
        ])
    );
    assert_eq!(plan.plan.version, PlanVersion::Specific("15.7.9".into()));
    assert_eq!(plan.plan.deadline, plan.deadline);
    assert_eq!(preview.computers[0].missed_releases, 4);
    assert_eq!(preview.computers[1].missed_releases, 2);
    assert_eq!(
        preview.summary,
        "schedule macOS 15.7.9 on 2 Macs with a deadline of 23 Apr 2026; fixes 1 actively \
         exploited CVE"
    );
}

#[test]
fn without_an_exploited_fix_the_deadline_is_30_days_and_both_numbers_are_settable() {
    let Some(feed) = sofa_feed() else { return };
    let macs = [mac("1", Some("26.6.1"))];
    let now = at("2026-08-20T09:00:00Z");
    let preview = preview_software_update(
        &macs,
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        now,
    )
    .unwrap();
    let plan = &preview.plans[0];
    assert_eq!(
        (plan.target_version.as_str(), plan.cves_fixed),
        ("26.6.2", 28)
    );
    assert_eq!(plan.deadline, local("2026-09-16T17:00:00"));
    assert_eq!(
        plan.deadline_reason,
        "30 days after 26.6.2 (2026-08-17), which fixes no actively exploited CVE: the earliest \
         deadline of the releases missed"
    );
    assert!(
        preview
            .summary
            .ends_with("; fixes no actively exploited CVE")
    );

    let policy = DeadlinePolicy {
        sla: latchkey_sofa::UpdateSla {
            standard_days: 10,
            ..latchkey_sofa::UpdateSla::DEFAULT
        },
        ..DeadlinePolicy::default()
    };
    let preview =
        preview_software_update(&macs, &feed, &TargetVersion::LatestOfMajor, &policy, now).unwrap();
    assert_eq!(preview.plans[0].deadline, local("2026-08-27T17:00:00"));
}

/// 12.6.4 misses 12.6.5 first by version (2023-10-31 + 7) but 12.6.6 came out earlier
/// (2023-05-18 + 30 = 2023-06-17, before 12.6.7's 2023-06-21 + 7): the earliest deadline.
#[test]
fn out_of_order_release_dates_count_from_the_earliest_date() {
    let Some(feed) = sofa_feed() else { return };
    let preview = preview_software_update(
        &[mac("1", Some("12.6.4"))],
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        at("2023-05-01T00:00:00Z"),
    )
    .unwrap();
    let plan = &preview.plans[0];
    assert_eq!(plan.target_version, "12.7.6");
    assert_eq!(plan.deadline, local("2023-06-17T17:00:00"));
    assert!(
        plan.deadline_reason
            .starts_with("30 days after 12.6.6 (2023-05-18)"),
        "{}",
        plan.deadline_reason
    );
}

#[test]
fn a_deadline_already_past_moves_to_the_first_one_far_enough_ahead() {
    let Some(feed) = sofa_feed() else { return };
    let preview = preview_software_update(
        &[mac("1", Some("15.7.4"))],
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        at("2026-09-10T18:00:00Z"),
    )
    .unwrap();
    let plan = &preview.plans[0];
    assert_eq!(plan.deadline, local("2026-09-12T17:00:00"));
    assert!(
        plan.deadline_reason.ends_with(
            "; that was 2026-04-23 (overdue by 140 days), already past or too soon, so the \
             first 17:00 at least 24 hours from now"
        ),
        "{}",
        plan.deadline_reason
    );
}

#[test]
fn mixed_majors_get_a_plan_each_and_macs_that_cannot_move_are_listed_as_skipped() {
    let Some(feed) = sofa_feed() else { return };
    let macs = [
        mac("1", Some("15.7.4")),
        mac("2", Some("14.8.8")),
        mac("3", Some("26.6.2")),
        mac("4", Some("10.15.7")),
        mac("5", None),
        mac("6", Some("15.7.8")),
        mac("1", Some("15.7.4")),
    ];
    let preview = preview_software_update(
        &macs,
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        at("2026-03-01T00:00:00Z"),
    )
    .unwrap();
    let targets: Vec<(&str, usize)> = preview
        .plans
        .iter()
        .map(|p| (p.target_version.as_str(), p.computers))
        .collect();
    assert_eq!(targets, [("15.7.9", 2), ("14.8.9", 1)]);
    let actions: Vec<PreviewAction> = preview.computers.iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        [
            PreviewAction::Update,
            PreviewAction::Update,
            PreviewAction::AlreadyOnTarget,
            PreviewAction::NotInFeed,
            PreviewAction::UnreadableVersion,
            PreviewAction::Update,
        ],
        "each Mac once, in the order given"
    );
    assert_eq!(preview.skipped, 3);
    assert_eq!(
        preview.summary,
        "schedule macOS 15.7.9 on 2 Macs (deadline 23 Apr 2026) and macOS 14.8.9 on 1 Mac \
         (deadline 13 Aug 2026); fixes 1 actively exploited CVE; 3 Macs skipped",
        "CVE-2026-65400 is fixed in both majors and counted once"
    );
}

#[test]
fn a_named_version_must_be_a_release_in_the_feed() {
    let Some(feed) = sofa_feed() else { return };
    let policy = DeadlinePolicy::default();
    let now = at("2026-03-01T00:00:00Z");
    let macs = [
        mac("1", Some("15.7.4")),
        mac("2", Some("15.7.9")),
        mac("3", Some("14.8.9")),
        mac("4", Some("15.7.8")),
    ];
    let named = |v: &str| TargetVersion::Named(v.into());
    let preview = preview_software_update(&macs, &feed, &named("15.7.8"), &policy, now).unwrap();
    assert_eq!(preview.plans.len(), 1);
    assert_eq!(preview.plans[0].target_version, "15.7.8");
    let actions: Vec<PreviewAction> = preview.computers.iter().map(|c| c.action).collect();
    assert_eq!(
        actions,
        [
            PreviewAction::Update,
            PreviewAction::NewerThanTarget,
            PreviewAction::OtherMajor,
            PreviewAction::AlreadyOnTarget
        ]
    );
    // 15.7.5 to 15.7.8 fix no actively exploited CVE: 30 days.
    assert_eq!(preview.plans[0].deadline, local("2026-04-23T17:00:00"));

    let error = |v: &str| {
        preview_software_update(&macs, &feed, &named(v), &policy, now)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("15.7.6"),
        "macOS 15.7.6 is not a release in the SOFA feed; the nearest are 15.7.5 and 15.7.7"
    );
    assert_eq!(
        error("15.8"),
        "macOS 15.8 is not a release in the SOFA feed; the nearest is 15.7.9"
    );
    assert!(
        error("16.1").starts_with("macOS 16.1 is not in the SOFA feed: it covers majors 26, 15"),
        "{}",
        error("16.1")
    );
    assert!(error("fifteen").contains("name a macOS release such as 15.7.9"));
}

#[test]
fn nothing_to_change_is_an_error_that_says_why() {
    let Some(feed) = sofa_feed() else { return };
    let policy = DeadlinePolicy::default();
    let now = at("2026-09-10T00:00:00Z");
    let latest = TargetVersion::LatestOfMajor;
    let current = [
        mac("1", Some("15.7.9")),
        mac("2", Some("26.6.2")),
        mac("3", Some("15.7.9")),
    ];
    let err = preview_software_update(&current, &feed, &latest, &policy, now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "all 3 Macs are already on the latest release of their major (15.7.9 and 26.6.2)"
    );
    let named = TargetVersion::Named("15.7.9".into());
    let err = preview_software_update(&current[..1], &feed, &named, &policy, now).unwrap_err();
    assert_eq!(err.to_string(), "the 1 Mac is already on macOS 15.7.9");
    let mixed = [
        mac("1", Some("15.7.9")),
        mac("2", Some("10.15.7")),
        mac("3", None),
    ];
    let err = preview_software_update(&mixed, &feed, &latest, &policy, now).unwrap_err();
    assert_eq!(
        err.to_string(),
        "none of the 3 Macs would change: 1 already on their target, 1 on a major the feed \
         does not cover and 1 without a readable macOS version"
    );
    let err = preview_software_update(&[], &feed, &latest, &policy, now).unwrap_err();
    assert_eq!(err.to_string(), "no Macs were given");
}

/// The whole path a remediation tool takes: serials resolved on the server, the preview
/// worked out, and the previewed plan is exactly what the server receives.
#[tokio::test]
async fn the_previewed_plans_are_exactly_what_the_server_receives() {
    let Some(feed) = sofa_feed() else { return };
    let (mock, client) = start(MockConfig::default()).await;
    // Computers 2 (15.1), 5 (14.4.1) and 7 (15.6.1) in the mock's deterministic fleet.
    let serials: Vec<_> = [1, 4, 6]
        .iter()
        .map(|i| mock.computers()[*i].serial.parse().unwrap())
        .collect();
    let macs = client.computers_by_serial(&serials).await.unwrap();
    let preview = preview_software_update(
        &macs,
        &feed,
        &TargetVersion::LatestOfMajor,
        &DeadlinePolicy::default(),
        at("2026-09-10T08:00:00Z"),
    )
    .unwrap();
    assert!(mock.received().is_empty(), "a preview changes nothing");
    for plan in &preview.plans {
        client
            .create_software_update_plan(&plan.plan)
            .await
            .unwrap();
    }
    let received: Vec<(Vec<String>, Option<String>, Option<String>)> = mock
        .received()
        .into_iter()
        .map(|change| match change {
            crate::support::mock::Change::SoftwareUpdatePlan(p) => (
                p.devices,
                p.specific_version,
                p.force_install_local_date_time,
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        received,
        [
            (
                vec!["2".into(), "7".into()],
                Some("15.7.9".into()),
                Some("2026-09-11T17:00:00".into())
            ),
            (
                vec!["5".into()],
                Some("14.8.9".into()),
                Some("2026-09-11T17:00:00".into())
            ),
        ]
    );
}
