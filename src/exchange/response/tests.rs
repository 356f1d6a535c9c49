use super::*;

const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRET-TOKEN.sig";

fn parse(body: &str) -> Result<IssuedToken> {
    parse_success(body.as_bytes(), SystemTime::UNIX_EPOCH, Instant::now())
}

fn reason(e: Error) -> String {
    match e.kind() {
        ErrorKind::InvalidResponse { reason } => reason.clone(),
        other => panic!("expected InvalidResponse, got {other:?}"),
    }
}

#[test]
fn v2_success_with_numbers() {
    let t = parse(&format!(
        r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"refresh_in":1799,"access_token":"{TOKEN}"}}"#
    ))
    .unwrap();
    assert_eq!(t.access_token.secret(), TOKEN);
    assert_eq!(t.token_type, "Bearer");
    assert_eq!(t.expires_in, Duration::from_secs(3599));
    assert_eq!(t.ext_expires_in, Some(Duration::from_secs(3599)));
    assert_eq!(t.refresh_in, Some(Duration::from_secs(1799)));
    assert_eq!(t.sent_wall, SystemTime::UNIX_EPOCH);
}

#[test]
fn v1_success_with_strings_and_extra_fields() {
    let t = parse(&format!(
        r#"{{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"3600","expires_on":"1700003600","not_before":"1700000000","resource":"https://graph.microsoft.com","access_token":"{TOKEN}"}}"#
    ))
    .unwrap();
    assert_eq!(t.expires_in, Duration::from_secs(3600));
    assert_eq!(t.ext_expires_in, Some(Duration::from_secs(3600)));
    assert_eq!(t.refresh_in, None);
}

#[test]
fn malformed_optional_fields_are_ignored() {
    let t = parse(&format!(
        r#"{{"token_type":"Bearer","expires_in":60,"ext_expires_in":"soon","refresh_in":-5,"access_token":"{TOKEN}"}}"#
    ))
    .unwrap();
    assert_eq!(t.ext_expires_in, None);
    assert_eq!(t.refresh_in, None);
}

#[test]
fn missing_or_bad_required_fields() {
    let cases = [
        (
            r#"{"token_type":"Bearer","expires_in":3599}"#,
            "no access_token",
        ),
        (
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":""}"#,
            "no access_token",
        ),
        (
            r#"{"expires_in":3599,"access_token":"SECRET-TOKEN"}"#,
            "no token_type",
        ),
        (
            r#"{"token_type":"Bearer","access_token":"SECRET-TOKEN"}"#,
            "no expires_in",
        ),
        (
            r#"{"token_type":"Bearer","expires_in":"1h","access_token":"SECRET-TOKEN"}"#,
            "expires_in is not a number",
        ),
        (
            r#"{"token_type":"Bearer","expires_in":1.5,"access_token":"SECRET-TOKEN"}"#,
            "expires_in is not a number",
        ),
        (
            r#"{"token_type":"Bearer","expires_in":0,"access_token":"SECRET-TOKEN"}"#,
            "expires_in 0 is out of range",
        ),
        (
            r#"{"token_type":"Bearer","expires_in":99999999999,"access_token":"SECRET-TOKEN"}"#,
            "expires_in 99999999999 is out of range",
        ),
        (
            r#"{"token_type":7,"expires_in":1,"access_token":"SECRET-TOKEN"}"#,
            "the JSON is not a token response object",
        ),
        (r#"[1,2]"#, "the JSON is not a token response object"),
        (r#"{"access_token":"SECRET-TOKEN""#, "malformed JSON"),
        ("", "empty body"),
    ];
    for (body, expected) in cases {
        let why = reason(parse(body).err().unwrap());
        assert_eq!(why, expected, "{body}");
        let shown = Error::new(ErrorKind::InvalidResponse { reason: why }).to_string();
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
    }
}

#[test]
fn non_json_success_is_quoted_briefly() {
    let html = format!("<html>\r\n<body>{}</body></html>", "x".repeat(10_000));
    let why = reason(parse(&html).err().unwrap());
    assert!(
        why.starts_with("expected JSON, got \"<html>  <body>xxx"),
        "{why}"
    );
    assert!(why.chars().count() < 100, "{why}");
    assert!(why.ends_with("…\""), "{why}");
}

#[test]
fn error_bodies_become_entra_errors_or_statuses() {
    let body = br#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.","error_codes":[700027],"correlation_id":"c-1"}"#;
    let e = error_from_status(401, body, None);
    assert_eq!(e.status(), Some(401));
    assert!(e.is_key_not_found());
    assert_eq!(e.entra().unwrap().correlation_id.as_deref(), Some("c-1"));

    let wait = Some(Duration::from_secs(3));
    let e = error_from_status(429, br#"{"error":"temporarily_unavailable"}"#, wait);
    assert_eq!(e.retry_after(), wait);
    assert!(e.entra().is_some());

    let e = error_from_status(503, b"<h1>Service Unavailable</h1>\n", wait);
    match e.kind() {
        ErrorKind::HttpStatus {
            status,
            body_prefix,
            retry_after,
        } => {
            assert_eq!(*status, 503);
            assert_eq!(body_prefix, "<h1>Service Unavailable</h1> ");
            assert_eq!(*retry_after, wait);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn printable_prefix_is_short_and_clean() {
    assert_eq!(printable_prefix(b"ok"), "ok");
    assert_eq!(printable_prefix(b"a\x00b\x1bc"), "a b c");
    assert_eq!(printable_prefix(&[0xff, b'a']), "\u{fffd}a");
    let long = "é".repeat(200);
    let p = printable_prefix(long.as_bytes());
    assert_eq!(p.chars().count(), QUOTE_CHARS + 1);
    assert!(p.ends_with('…'));
}
