//! Unit tests for the challenge parser, with headers shaped like the ones real services send.

use super::*;

const CAE_CLAIMS: &str = r#"{"access_token":{"acrs":{"essential":true,"value":"cp1"}}}"#;
const CAE_CLAIMS_B64: &str =
    "eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlIjoiY3AxIn19fQ==";

fn one(header: &str) -> Challenge {
    Challenge::parse(header)
        .unwrap()
        .expect("a Bearer challenge")
}

fn reason(header: &str) -> String {
    match Challenge::parse(header).unwrap_err().kind() {
        ErrorKind::InvalidResponse { reason } => reason.clone(),
        other => panic!("unexpected kind {other:?}"),
    }
}

#[test]
fn graph_unauthenticated() {
    let c = one(
        r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000""#,
    );
    assert_eq!(c.authority(), Some("https://login.microsoftonline.com"));
    assert_eq!(c.tenant(), Some("common"));
    assert_eq!(c.realm(), None);
    assert_eq!(c.resource_scope(), None);
    assert!(!c.is_claims_challenge());
}

#[test]
fn arm_invalid_token_without_tenant() {
    let c = one(
        r#"Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header.""#,
    );
    assert_eq!(c.authority(), Some("https://login.windows.net"));
    assert_eq!(c.tenant(), None);
    assert_eq!(c.error(), Some("invalid_token"));
    assert_eq!(
        c.error_description(),
        Some("The authentication failed because of missing 'Authorization' header.")
    );
}

#[test]
fn key_vault_authorization_and_resource() {
    let c = one(
        r#"Bearer authorization="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
    );
    assert_eq!(
        c.authorization_uri(),
        Some("https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47")
    );
    assert_eq!(c.tenant(), Some("72f988bf-86f1-41af-91ab-2d7cd011db47"));
    assert_eq!(c.resource_scope(), Some("https://vault.azure.net/.default"));
}

#[test]
fn storage_unquoted_and_space_separated() {
    let c = one("Bearer authorization_uri=https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/authorize resource_id=https://storage.azure.com");
    assert_eq!(c.tenant(), Some("contoso.onmicrosoft.com"));
    assert_eq!(
        c.resource_scope(),
        Some("https://storage.azure.com/.default")
    );
}

#[test]
fn scope_wins_over_resource_and_trailing_slash_is_kept() {
    let c = one(r#"Bearer resource_id="https://management.core.windows.net/""#);
    assert_eq!(
        c.resource_scope(),
        Some("https://management.core.windows.net//.default")
    );
    let c = one(r#"Bearer scope="https://graph.microsoft.com/.default", resource_id="https://x""#);
    assert_eq!(
        c.resource_scope(),
        Some("https://graph.microsoft.com/.default")
    );
}

#[test]
fn cae_claims_challenge_from_microsoft_docs() {
    let h = format!(
        r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="{CAE_CLAIMS_B64}""#
    );
    let c = one(&h);
    assert!(c.is_claims_challenge());
    assert_eq!(c.claims(), Some(CAE_CLAIMS));
    // The claims-challenge page's own example sends an empty authorization_uri.
    let c = one(&format!(
        r#"Bearer realm="", authorization_uri="", error="insufficient_claims", claims="{CAE_CLAIMS_B64}""#
    ));
    assert_eq!((c.authority(), c.claims()), (None, Some(CAE_CLAIMS)));
}

#[test]
fn claims_without_padding_or_in_url_alphabet_or_raw_json() {
    let unpadded = CAE_CLAIMS_B64.trim_end_matches('=');
    assert_eq!(
        one(&format!("Bearer claims={unpadded}")).claims(),
        Some(CAE_CLAIMS)
    );
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"a":"??>"}"#);
    assert!(url.contains('_') || url.contains('-'));
    assert_eq!(
        one(&format!("Bearer claims={url}")).claims(),
        Some(r#"{"a":"??>"}"#)
    );
    let raw = r#"Bearer claims="{\"access_token\":{}}""#;
    assert_eq!(one(raw).claims(), Some(r#"{"access_token":{}}"#));
}

#[test]
fn bad_claims_are_errors() {
    assert!(reason(r#"Bearer claims="!!!""#).contains("not base64"));
    assert!(reason(r#"Bearer claims="WzFd""#).contains("not a JSON object")); // [1]
    assert!(reason(r#"Bearer claims="/w==""#).contains("not UTF-8"));
}

#[test]
fn several_challenges_any_case_extra_spaces() {
    let h = r#"Basic realm="x" , NEGOTIATE abc123==,  bearer   AUTHORIZATION_URI = "https://login.microsoftonline.us/t1/oauth2/authorize" ,Error=invalid_token"#;
    let c = one(h);
    assert_eq!(c.authority(), Some("https://login.microsoftonline.us"));
    assert_eq!(c.tenant(), Some("t1"));
    assert_eq!(c.error(), Some("invalid_token"));
    assert!(Challenge::parse(r#"Basic realm="x", Negotiate"#)
        .unwrap()
        .is_none());
    assert!(Challenge::parse("").unwrap().is_none());
}

#[test]
fn prefers_the_bearer_challenge_with_an_authority() {
    let h =
        r#"Bearer realm="api", Bearer authorization_uri="https://login.microsoftonline.com/t2/""#;
    assert_eq!(Challenge::parse_all(h).unwrap().len(), 2);
    assert_eq!(one(h).tenant(), Some("t2"));
}

#[test]
fn quoted_strings_unescape() {
    let c = one(r#"Bearer error_description="say \"hi\", \\ done", error="x""#);
    assert_eq!(c.error_description(), Some(r#"say "hi", \ done"#));
    assert_eq!(c.error(), Some("x"));
}

#[test]
fn malformed_values_are_clean_errors() {
    assert!(reason(r#"Bearer realm="open"#).contains("unterminated"));
    assert!(reason(r#"realm="x""#).contains("before any scheme"));
    assert!(reason(r#"Bearer "x""#).contains("unexpected character"));
    assert!(reason(r#"Bearer error="a", ERROR="b""#).contains("twice"));
    assert!(reason(r#"Bearer authorization_uri="http://evil.example/t""#).contains("https"));
    assert!(
        reason(r#"Bearer authorization_uri="https://u:p@login.microsoftonline.com/t""#)
            .contains("user")
    );
    assert!(
        reason(r#"Bearer authorization_uri="https://login.microsoftonline.com/a%20b/""#)
            .contains("tenant")
    );
    assert!(reason(r#"Bearer authorization_uri="not a url""#).contains("not a URL"));
    let long = format!("Bearer realm=\"{}\"", "a".repeat(MAX_CHALLENGE_BYTES));
    assert!(reason(&long).contains("longer than 8192 bytes"));
}

#[test]
fn loopback_http_authority_keeps_its_port() {
    let c = one(r#"Bearer authorization_uri="http://127.0.0.1:8443/tenant-1/oauth2/authorize""#);
    assert_eq!(c.authority(), Some("http://127.0.0.1:8443"));
}

#[test]
fn never_panics_on_awkward_input() {
    for h in [
        "=",
        ",,,",
        "Bearer =",
        "Bearer a=",
        "Bearer a=\"\\",
        "Bearer a=\"é\\é\"",
        "é",
        "Bearer\t\t",
        "Bearer a b c=d",
    ] {
        let _ = Challenge::parse_all(h);
    }
    assert_eq!(one("Bearer a=\"é\\é\" , realm=r").realm(), Some("r"));
}

#[test]
fn fuzz_corpus_replays() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/challenge");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Only the named seeds: inputs the fuzzer saved (40 hex digits) may be valid or not.
        if name.len() == 40 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        if let Ok(header) = std::str::from_utf8(&bytes) {
            let parsed = Challenge::parse(header);
            assert_eq!(
                parsed.is_err(),
                name.starts_with("bad-"),
                "{name}: {parsed:?}"
            );
        }
    }
}
