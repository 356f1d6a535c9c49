use super::*;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn endpoint(host: &str, tenant: &str) -> Result<String> {
    Authority::entra(&AuthorityHost::from(host), tenant).map(|a| a.token_endpoint().to_string())
}

fn reason(e: Error) -> String {
    match e.kind() {
        ErrorKind::InvalidConfiguration { reason } => reason.clone(),
        other => panic!("expected InvalidConfiguration, got {other:?}"),
    }
}

#[test]
fn presets_produce_v2_endpoints() {
    let cases = [
        (AuthorityHost::Public, "https://login.microsoftonline.com"),
        (
            AuthorityHost::UsGovernment,
            "https://login.microsoftonline.us",
        ),
        (AuthorityHost::China, "https://login.chinacloudapi.cn"),
    ];
    for (host, base) in cases {
        let a = Authority::entra(&host, TENANT).unwrap();
        assert_eq!(
            a.token_endpoint().as_str(),
            format!("{base}/{TENANT}/oauth2/v2.0/token")
        );
        assert!(!a.is_overridden());
    }
}

#[test]
fn custom_hosts_tolerate_one_trailing_slash() {
    for host in ["https://login.example.test", "https://login.example.test/"] {
        assert_eq!(
            endpoint(host, "contoso.onmicrosoft.com").unwrap(),
            "https://login.example.test/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }
    assert_eq!(
        AuthorityHost::from("HTTPS://LOGIN.MICROSOFTONLINE.COM/"),
        AuthorityHost::Public
    );
    assert_eq!(
        endpoint("https://westeurope.login.microsoft.com:8443", TENANT).unwrap(),
        format!("https://westeurope.login.microsoft.com:8443/{TENANT}/oauth2/v2.0/token")
    );
}

#[test]
fn hosts_with_paths_queries_or_credentials_are_refused() {
    for host in [
        "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "https://login.example.test/?x=1",
        "https://login.example.test/#f",
        "https://user:pw@login.example.test",
        "login.microsoftonline.com",
        "ftp://login.example.test",
        "",
    ] {
        assert!(endpoint(host, TENANT).is_err(), "{host}");
    }
    let why = reason(endpoint("https://login.microsoftonline.com/contoso", TENANT).unwrap_err());
    assert!(why.contains("give the tenant separately"), "{why}");
}

#[test]
fn http_only_on_loopback() {
    for host in [
        "http://127.0.0.1:8400",
        "http://127.9.8.7",
        "http://[::1]:8400",
        "http://localhost:8400/",
        "http://LOCALHOST",
    ] {
        assert!(endpoint(host, TENANT).is_ok(), "{host}");
    }
    for host in [
        "http://login.microsoftonline.com",
        "http://10.0.0.1",
        "http://[::2]",
        "http://localhost.example.com",
        "http://0.0.0.0",
    ] {
        let why = reason(endpoint(host, TENANT).unwrap_err());
        assert!(why.contains("only for loopback"), "{host}: {why}");
    }
}

#[test]
fn tenants_are_guids_or_domains() {
    for good in [TENANT, "contoso.onmicrosoft.com", "Contoso.COM", "x"] {
        assert!(validate_tenant(good).is_ok(), "{good}");
    }
    for bad in [
        "",
        "  ",
        "contoso/evil",
        "a b",
        "..",
        ".contoso.com",
        "contoso.com.",
        "-x",
        "con..toso",
        "tenant?x=1",
        "%2e%2e",
    ] {
        assert!(validate_tenant(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn multi_tenant_aliases_are_refused_with_an_explanation() {
    for alias in ["common", "organizations", "consumers", "Common"] {
        let why = reason(validate_tenant(alias).unwrap_err());
        assert!(why.contains("need a specific tenant"), "{why}");
    }
}

#[test]
fn full_endpoint_override() {
    let a = Authority::endpoint("https://adfs.contoso.com/adfs/oauth2/token").unwrap();
    assert_eq!(
        a.token_endpoint().as_str(),
        "https://adfs.contoso.com/adfs/oauth2/token"
    );
    assert!(a.is_overridden());
    assert!(Authority::endpoint("http://127.0.0.1:9/token").is_ok());
    assert!(Authority::endpoint("http://adfs.contoso.com/adfs/oauth2/token").is_err());
    assert!(Authority::endpoint("https://adfs.contoso.com/token#x").is_err());
    assert!(Authority::endpoint("not a url").is_err());
}

#[test]
fn env_value_maps_to_environment_errors() {
    assert_eq!(
        AuthorityHost::from_env_value(Some("  ")).unwrap(),
        AuthorityHost::Public
    );
    assert_eq!(
        AuthorityHost::from_env_value(Some("https://login.microsoftonline.us")).unwrap(),
        AuthorityHost::UsGovernment
    );
    assert_eq!(
        AuthorityHost::from_env_value(Some("http://127.0.0.1:1234")).unwrap(),
        AuthorityHost::Custom("http://127.0.0.1:1234".into())
    );
    let err = AuthorityHost::from_env_value(Some("http://example.com")).unwrap_err();
    match err.kind() {
        ErrorKind::Environment { variable, reason } => {
            assert_eq!(variable, "AZURE_AUTHORITY_HOST");
            assert!(reason.contains("only for loopback"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}
