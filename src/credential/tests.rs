use std::time::Duration;

use super::*;
use crate::assertion::SigningAlgorithm;
use crate::authority::AuthorityHost;
use crate::error::ErrorKind;

const APP_PEM: &[u8] = include_bytes!("../../tests/data/exchange/app.pem");
const CA_PEM: &[u8] = include_bytes!("../../tests/data/exchange/ca.crt");
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

fn cert_builder() -> CredentialBuilder {
    Credential::builder(
        TENANT,
        CLIENT,
        ClientCertificate::from_pem(APP_PEM).unwrap(),
    )
}

fn config_reason(result: Result<Credential>) -> String {
    match result.expect_err("build should fail").kind() {
        ErrorKind::InvalidConfiguration { reason } => reason.clone(),
        other => panic!("expected InvalidConfiguration, got {other:?}"),
    }
}

fn algorithm(c: &Credential) -> SigningAlgorithm {
    match &c.inner.current.load().auth {
        ClientAuth::Certificate { options, .. } => options.algorithm,
        ClientAuth::Secret(_) => panic!("not a certificate credential"),
    }
}

#[test]
fn defaults() {
    let c = cert_builder().build().unwrap();
    assert_eq!(
        c.token_endpoint(),
        format!("https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token")
    );
    assert_eq!(c.client_id(), CLIENT);
    assert_eq!(c.tenant_id(), TENANT);
    assert!(c.certificate().is_some());
    assert_eq!(algorithm(&c), SigningAlgorithm::Ps256);
    assert_eq!(c.inner.exchange.timeout, Some(Duration::from_secs(30)));
}

#[test]
fn endpoint_override_defaults_to_rs256() {
    let c = cert_builder()
        .token_endpoint("https://adfs.contoso.com/adfs/oauth2/token")
        .build()
        .unwrap();
    assert_eq!(
        c.token_endpoint(),
        "https://adfs.contoso.com/adfs/oauth2/token"
    );
    assert_eq!(algorithm(&c), SigningAlgorithm::Rs256);
    let c = cert_builder()
        .token_endpoint("https://adfs.contoso.com/adfs/oauth2/token")
        .algorithm(SigningAlgorithm::Ps256)
        .build()
        .unwrap();
    assert_eq!(algorithm(&c), SigningAlgorithm::Ps256);
}

#[test]
fn build_validates_everything() {
    let r = config_reason(
        cert_builder()
            .authority_host("http://login.example.com")
            .build(),
    );
    assert!(r.contains("only for loopback"), "{r}");
    assert!(cert_builder()
        .authority_host("http://127.0.0.1:1")
        .build()
        .is_ok());
    let r = config_reason(
        Credential::builder(
            "common",
            CLIENT,
            ClientCertificate::from_pem(APP_PEM).unwrap(),
        )
        .build(),
    );
    assert!(r.contains("specific tenant"), "{r}");
    let r = config_reason(
        cert_builder()
            .assertion_lifetime(Duration::from_secs(7200))
            .build(),
    );
    assert!(r.contains("assertion lifetime"), "{r}");
    let r = config_reason(
        Credential::builder(TENANT, " ", ClientCertificate::from_pem(APP_PEM).unwrap()).build(),
    );
    assert!(r.contains("client ID"), "{r}");
    let r = config_reason(cert_builder().add_root_certificate_pem(b"not pem").build());
    assert!(r.contains("no -----BEGIN CERTIFICATE"), "{r}");
    assert!(cert_builder()
        .add_root_certificate_pem(CA_PEM)
        .build()
        .is_ok());
    let r = config_reason(
        cert_builder()
            .add_root_certificate_pem(CA_PEM)
            .http_client(reqwest::Client::new())
            .build(),
    );
    assert!(r.contains("custom HTTP client"), "{r}");
    let r = config_reason(Credential::secret_builder(TENANT, CLIENT, "").build());
    assert!(r.contains("secret is empty"), "{r}");
}

#[test]
fn national_clouds() {
    let c = cert_builder()
        .authority_host(AuthorityHost::China)
        .build()
        .unwrap();
    assert!(c
        .token_endpoint()
        .starts_with("https://login.chinacloudapi.cn/"));
}

#[test]
fn debug_is_redacted() {
    let c = Credential::secret_builder(TENANT, CLIENT, "s3cr3t-value")
        .build()
        .unwrap();
    let shown = format!("{c:?}");
    assert_eq!(
        shown,
        format!(
            "Credential {{ client_id: \"{CLIENT}\", token_endpoint: \"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token\", secret: Secret([redacted]) }}"
        )
    );
    let c = cert_builder().build().unwrap();
    let shown = format!("{c:?}");
    assert!(shown.contains("certificate: \""), "{shown}");
    assert!(shown.contains("algorithm: Ps256"), "{shown}");
    assert!(!format!("{:?}", cert_builder()).contains("PRIVATE"));
}

#[test]
fn credential_is_cheap_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Credential>();
    assert_eq!(
        std::mem::size_of::<Credential>(),
        std::mem::size_of::<usize>()
    );
    let c = cert_builder().build().unwrap();
    let d = c.clone();
    assert!(Arc::ptr_eq(&c.inner, &d.inner));
}

#[tokio::test]
async fn scopes_are_checked_before_any_request() {
    // Port 9 on loopback: nothing must be sent, so nothing must fail to connect either.
    let c = cert_builder()
        .authority_host("http://127.0.0.1:9")
        .retry_policy(crate::retry::RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.get_token_for_scopes(&[]).await.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidConfiguration { .. }));
    let e = c
        .get_token_for_scopes(&["https://a.example/.default", "https://b.example/.default"])
        .await
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::InvalidConfiguration { .. }));
}
