//! Against a real moto server (`moto_server` from PyPI's `moto[server]`, pinned in
//! `scripts/setup.sh --test`) on a free loopback port: GetSecretValue by name and by ARN, a
//! JSON key, binary secrets refused, ResourceNotFound, AccessDenied with IAM enforced, a
//! wrong key, an assumed role, and an unreachable endpoint; no error carries a secret.

use latchkey_awssm::{AwsError, Keys, Secret, SecretsManager};
use latchkey_moto_harness::{Moto, REGION, require};

const CANARY: &str = "canary-7f3a-secret";

fn client(moto: &Moto, id: &str, secret: &str, role: Option<&str>) -> SecretsManager {
    let keys = Keys {
        access_key_id: id.to_owned(),
        secret_access_key: Secret::new(secret.to_owned()),
    };
    SecretsManager::new(REGION, Some(&moto.endpoint()), keys, role).unwrap()
}

fn no_secret_in(err: &AwsError, secrets: &[&str]) {
    let text = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!text.contains(secret), "{text}");
    }
}

#[tokio::test]
async fn reads_a_secret_by_name_and_arn_whole_or_by_key() {
    if !require("reads_a_secret_by_name_and_arn_whole_or_by_key") {
        return;
    }
    let moto = Moto::start();
    let json = format!(r#"{{"client_id":"abc","client_secret":"{CANARY}","port":8443}}"#);
    let arn = moto.create_secret("jamf/prod", &json);
    moto.create_secret("plain", CANARY);
    moto.create_binary_secret("binary", CANARY.as_bytes());
    let sm = client(&moto, "AKIDEXAMPLE", "testing", None);

    let by_name = sm.read("jamf/prod", Some("client_secret")).await.unwrap();
    assert_eq!(by_name.value.expose(), CANARY);
    assert!(!by_name.version.is_empty());
    let by_arn = sm.read(&arn, Some("client_secret")).await.unwrap();
    assert_eq!(by_arn.value.expose(), CANARY);
    assert_eq!(by_arn.version, by_name.version);
    assert_eq!(
        sm.read("jamf/prod", None).await.unwrap().value.expose(),
        json
    );
    assert_eq!(sm.read("plain", None).await.unwrap().value.expose(), CANARY);
    // A new version is read as such.
    moto.python(
        "client('secretsmanager').put_secret_value(SecretId='plain', SecretString=sys.stdin.read())\nprint('null')\n",
        "second",
    );
    let second = sm.read("plain", None).await.unwrap();
    assert_eq!(second.value.expose(), "second");

    let err = sm.read("jamf/prod", Some("password")).await.unwrap_err();
    assert!(
        matches!(&err, AwsError::KeyMissing { available, .. } if available == &["client_id", "client_secret", "port"]),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("it has: client_id, client_secret, port"),
        "{err}"
    );
    no_secret_in(&err, &[CANARY]);
    let err = sm.read("jamf/prod", Some("port")).await.unwrap_err();
    assert!(matches!(err, AwsError::NotText { .. }), "{err:?}");
    let err = sm.read("plain", Some("client_secret")).await.unwrap_err();
    assert!(matches!(err, AwsError::NotJson { .. }), "{err:?}");
    no_secret_in(&err, &["second"]);
    let err = sm.read("binary", None).await.unwrap_err();
    assert!(matches!(err, AwsError::Binary { .. }), "{err:?}");
    assert!(err.to_string().contains("SecretBinary"), "{err}");
    no_secret_in(&err, &[CANARY]);
    let err = sm.read("jamf/missing", Some("k")).await.unwrap_err();
    assert!(matches!(err, AwsError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("jamf/missing"), "{err}");
}

#[tokio::test]
async fn iam_decides_what_a_key_or_an_assumed_role_may_read() {
    if !require("iam_decides_what_a_key_or_an_assumed_role_may_read") {
        return;
    }
    let moto = Moto::start();
    // moto checks an action against a policy's Resource "*" only (not a secret's ARN), so
    // what a principal may do is told apart by action: the user may read secrets and assume
    // a role; the role's session may assume nothing and read secrets; a second user may
    // only assume the role.
    moto.create_secret("jamf/prod", CANARY);
    let allow = |actions: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{actions}],"Resource":"*"}}]}}"#
        )
    };
    let reader = moto.user(
        "reader",
        &allow(r#""secretsmanager:GetSecretValue","sts:AssumeRole""#),
    );
    let assumer = moto.user("assumer", &allow(r#""sts:AssumeRole""#));
    let role = moto.role(
        "reader-role",
        &["assumer"],
        &allow(r#""secretsmanager:GetSecretValue""#),
    );
    let no_read = moto.role(
        "no-read-role",
        &["reader"],
        &allow(r#""secretsmanager:ListSecrets""#),
    );
    moto.enforce_iam();

    let sm = client(&moto, &reader.id, &reader.secret, None);
    assert_eq!(
        sm.read("jamf/prod", None).await.unwrap().value.expose(),
        CANARY
    );
    let denied = client(&moto, &assumer.id, &assumer.secret, None);
    let err = denied.read("jamf/prod", None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AwsError::AccessDenied {
                action: "secretsmanager:GetSecretValue",
                ..
            }
        ),
        "{err:?}"
    );
    no_secret_in(&err, &[&assumer.secret, CANARY]);

    // With a role: its session's policies decide, not the key's.
    let as_role = client(&moto, &assumer.id, &assumer.secret, Some(&role));
    assert_eq!(
        as_role
            .read("jamf/prod", None)
            .await
            .unwrap()
            .value
            .expose(),
        CANARY
    );
    let as_no_read = client(&moto, &reader.id, &reader.secret, Some(&no_read));
    let err = as_no_read.read("jamf/prod", None).await.unwrap_err();
    assert!(matches!(err, AwsError::AccessDenied { .. }), "{err:?}");
    // A role whose trust policy does not name the key's user.
    let untrusted = client(&moto, &reader.id, &reader.secret, Some(&role));
    let err = untrusted.read("jamf/prod", None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            AwsError::AccessDenied {
                action: "sts:AssumeRole",
                ..
            }
        ),
        "{err:?}"
    );
    no_secret_in(&err, &[&reader.secret]);

    let wrong = client(&moto, &reader.id, "not-the-secret-key", None);
    let err = wrong.read("jamf/prod", None).await.unwrap_err();
    assert!(matches!(err, AwsError::KeysRejected { .. }), "{err:?}");
    no_secret_in(&err, &["not-the-secret-key", CANARY]);
    let unknown = client(&moto, "AKIAUNKNOWN0000000000", &reader.secret, None);
    let err = unknown.read("jamf/prod", None).await.unwrap_err();
    assert!(matches!(err, AwsError::KeysRejected { .. }), "{err:?}");
    no_secret_in(&err, &[&reader.secret]);
}

#[tokio::test]
async fn an_unreachable_endpoint_and_bad_arguments_are_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let keys = || Keys {
        access_key_id: "AKIDEXAMPLE".into(),
        secret_access_key: Secret::new(CANARY.into()),
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let sm = SecretsManager::new(REGION, Some(&endpoint), keys(), None).unwrap();
    let err = sm.read("jamf/prod", None).await.unwrap_err();
    assert!(matches!(err, AwsError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains(&endpoint), "{err}");
    no_secret_in(&err, &[CANARY]);
    let err = SecretsManager::new("US East", None, keys(), None).unwrap_err();
    assert!(err.to_string().contains("region"), "{err}");
    let err = SecretsManager::new(REGION, Some("http://example.com"), keys(), None).unwrap_err();
    assert!(err.to_string().contains("loopback"), "{err}");
}
