//! The client against the Azure stand-in (crates/azure-standin: Microsoft's published REST
//! shapes for Entra ID's token endpoint and Key Vault, over TLS on loopback; Azure has no
//! emulator one can install). The real SDK does the challenge, the sign-in and the read; the
//! client trusts only the stand-in's CA and reaches its host name through its resolver.

use latchkey_azure_standin::{StandIn, VAULT_HOST};
use latchkey_azurekv::{AzureError, KeyVault, Principal, Secret};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const READER: &str = "11111111-1111-1111-1111-111111111111";
const OUTSIDER: &str = "22222222-2222-2222-2222-222222222222";
const CLIENT_SECRET: &str = "client-secret-canary-0f3a";
const VALUE: &str = "kept-value-canary-7e21";

async fn standin() -> StandIn {
    let standin = StandIn::start(TENANT).await;
    standin.add_app(TENANT, READER, CLIENT_SECRET, true);
    standin.add_app(TENANT, OUTSIDER, CLIENT_SECRET, false);
    standin
}

fn vault(standin: &StandIn, tenant: &str, client_id: &str, secret: &str) -> KeyVault {
    let ca = reqwest::Certificate::from_pem(standin.ca_pem().as_bytes()).unwrap();
    let addr = standin.addr;
    KeyVault::configured(
        &standin.vault_url(),
        Some(&standin.vault_url()),
        Principal {
            tenant_id: tenant.into(),
            client_id: client_id.into(),
            client_secret: Secret::new(secret.into()),
        },
        |b| b.tls_certs_only([ca]).resolve(VAULT_HOST, addr),
    )
    .unwrap()
}

fn assert_clean(error: &AzureError) {
    let text = format!("{error} {error:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(!text.contains(VALUE), "{text}");
    assert!(!text.contains("standin-token"), "{text}");
}

#[tokio::test]
async fn a_secret_is_read_latest_or_by_version_after_the_challenge_and_a_sign_in() {
    let standin = standin().await;
    let first = standin.set_secret("jamf-prod", VALUE);
    let kv = vault(&standin, TENANT, READER, CLIENT_SECRET);
    let read = kv.read("jamf-prod", None).await.unwrap();
    assert_eq!(read.value.expose(), VALUE);
    assert_eq!(read.version, first);
    // Key Vault's challenge: the first request went without a token, the second with one.
    let seen = standin.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(!seen[0].bearer && seen[1].bearer, "{seen:?}");
    assert_eq!(seen[0].path, "/secrets/jamf-prod/");
    assert_eq!(standin.sign_ins(), 1);

    // A new version is the latest; the first is still read by its version.
    let second = standin.set_secret("jamf-prod", "second-value");
    let read = kv.read("jamf-prod", None).await.unwrap();
    assert_eq!(
        (read.value.expose(), read.version.as_str()),
        ("second-value", second.as_str())
    );
    let read = kv.read("jamf-prod", Some(&first)).await.unwrap();
    assert_eq!(
        (read.value.expose(), read.version.as_str()),
        (VALUE, first.as_str())
    );
}

#[tokio::test]
async fn a_refused_sign_in_is_named_by_its_aadsts_code() {
    let standin = standin().await;
    standin.set_secret("jamf-prod", VALUE);
    let cases = [
        (
            TENANT,
            READER,
            "wrong-secret",
            "AADSTS7000215",
            "client secret is not valid",
        ),
        (
            TENANT,
            "33333333-3333-3333-3333-333333333333",
            CLIENT_SECRET,
            "AADSTS700016",
            "no application",
        ),
        (
            "contoso.onmicrosoft.test",
            READER,
            CLIENT_SECRET,
            "AADSTS90002",
            "no such tenant",
        ),
    ];
    for (tenant, client_id, secret, code, reason) in cases {
        let error = vault(&standin, tenant, client_id, secret)
            .read("jamf-prod", None)
            .await
            .unwrap_err();
        assert!(
            matches!(error, AzureError::SignInRefused { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        assert!(text.contains(code) && text.contains(reason), "{text}");
        assert!(text.contains(client_id) && text.contains(tenant), "{text}");
        assert!(!text.contains("wrong-secret"), "{text}");
        assert_clean(&error);
    }
}

#[tokio::test]
async fn the_vaults_refusals_are_named() {
    let standin = standin().await;
    standin.set_secret("jamf-prod", VALUE);
    standin.set_secret("old", VALUE);
    standin.disable("old");

    let error = (vault(&standin, TENANT, OUTSIDER, CLIENT_SECRET).read("jamf-prod", None))
        .await
        .unwrap_err();
    assert!(matches!(error, AzureError::Forbidden { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("Forbidden/AccessDenied") && text.contains(OUTSIDER),
        "{text}"
    );
    assert_clean(&error);

    let kv = vault(&standin, TENANT, READER, CLIENT_SECRET);
    let error = kv.read("missing", None).await.unwrap_err();
    assert!(matches!(error, AzureError::NotFound { .. }), "{error:?}");
    assert!(
        error.to_string().contains("has no secret missing"),
        "{error}"
    );
    let error = kv
        .read("jamf-prod", Some("0123456789abcdef0123456789abcdef"))
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("has no secret jamf-prod version 0123456789abcdef"),
        "{error}"
    );
    let error = kv.read("old", None).await.unwrap_err();
    assert!(matches!(error, AzureError::Disabled { .. }), "{error:?}");
    assert!(error.to_string().contains("secret old"), "{error}");
    assert_clean(&error);
    let error = kv.read("bad_name", None).await.unwrap_err();
    assert!(matches!(error, AzureError::InvalidArgument(_)), "{error:?}");
}

#[tokio::test]
async fn an_untrusted_or_absent_vault_is_unreachable() {
    let standin = standin().await;
    standin.set_secret("jamf-prod", VALUE);
    // The system's roots do not hold the stand-in's CA.
    let addr = standin.addr;
    let untrusted = KeyVault::configured(
        &standin.vault_url(),
        Some(&standin.vault_url()),
        Principal {
            tenant_id: TENANT.into(),
            client_id: READER.into(),
            client_secret: Secret::new(CLIENT_SECRET.into()),
        },
        |b| b.resolve(VAULT_HOST, addr),
    )
    .unwrap();
    let error = untrusted.read("jamf-prod", None).await.unwrap_err();
    assert!(matches!(error, AzureError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains(&standin.host()), "{error}");
    assert_clean(&error);
    assert_eq!(standin.sign_ins(), 0);

    let port = standin.addr.port();
    drop(standin);
    let error = KeyVault::new(
        &format!("https://127.0.0.1:{port}"),
        Some("https://127.0.0.1:1"),
        Principal {
            tenant_id: TENANT.into(),
            client_id: READER.into(),
            client_secret: Secret::new(CLIENT_SECRET.into()),
        },
    )
    .unwrap()
    .read("jamf-prod", None)
    .await
    .unwrap_err();
    assert!(matches!(error, AzureError::Unreachable { .. }), "{error:?}");

    // http is refused for a vault or an authority.
    for (vault, authority) in [
        ("http://127.0.0.1:1", None),
        (
            "https://kv.vault.azure.net",
            Some("http://login.example.com"),
        ),
    ] {
        let error = KeyVault::new(
            vault,
            authority,
            Principal {
                tenant_id: TENANT.into(),
                client_id: READER.into(),
                client_secret: Secret::new(CLIENT_SECRET.into()),
            },
        )
        .unwrap_err();
        assert!(error.to_string().contains("https"), "{error}");
    }
}

#[tokio::test]
async fn a_challenge_for_another_resource_gets_no_token() {
    let standin = standin().await;
    standin.set_secret("jamf-prod", VALUE);
    // The vault's host does not lie under management.azure.test: the SDK (with
    // verify_challenge_resource on) refuses before asking Entra ID for a token.
    standin.challenge_for("https://management.azure.test");
    let error = vault(&standin, TENANT, READER, CLIENT_SECRET)
        .read("jamf-prod", None)
        .await
        .unwrap_err();
    assert!(matches!(error, AzureError::Protocol { .. }), "{error:?}");
    assert!(error.to_string().contains("challenge"), "{error}");
    assert_eq!(standin.sign_ins(), 0);
    assert_clean(&error);
}
