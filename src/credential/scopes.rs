//! Scope checks for client credentials. Pure.
//!
//! An app-only token is for exactly one resource, and Entra grants it the application
//! permissions the admin consented to: the scope to ask for is `{resource}/.default`, e.g.
//! `https://graph.microsoft.com/.default`. Several scopes are allowed only if they name the
//! same resource; whether they end in `/.default` is left to the server (other RFC 7523
//! servers have other conventions), which answers AADSTS1002012 / AADSTS70011 otherwise.

use crate::error::{Error, Result};

/// Checks `scopes` and joins them into the form's `scope` value.
pub(crate) fn scope_param(scopes: &[&str]) -> Result<String> {
    if scopes.is_empty() {
        return Err(Error::config(
            "no scope given: client credentials need {resource}/.default, e.g. \
             https://graph.microsoft.com/.default",
        ));
    }
    let mut first: Option<(&str, &str)> = None;
    for scope in scopes {
        if scope.is_empty() {
            return Err(Error::config("a scope is empty"));
        }
        if scope.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::config(format!(
                "scope {scope:?} contains a space or control character: pass each scope as \
                 its own item"
            )));
        }
        let Some(resource) = resource_of(scope) else {
            continue;
        };
        match first {
            None => first = Some((scope, resource)),
            Some((other, known)) if !known.eq_ignore_ascii_case(resource) => {
                return Err(Error::config(format!(
                    "scopes {other:?} and {scope:?} are for different resources: a token is \
                     for one resource, so ask for each resource's {{resource}}/.default \
                     separately"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(scopes.join(" "))
}

/// The resource part of a scope: `https://graph.microsoft.com` for
/// `https://graph.microsoft.com/.default`, `api://app` for `api://app/read`, the app ID for
/// `{guid}/.default`; `None` for a bare scope such as `openid`.
pub(crate) fn resource_of(scope: &str) -> Option<&str> {
    match scope.find("://") {
        Some(i) => match scope[i + 3..].rfind('/') {
            Some(j) => Some(&scope[..i + 3 + j]),
            None => Some(scope),
        },
        None => scope.rfind('/').map(|j| &scope[..j]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        let cases = [
            (
                "https://graph.microsoft.com/.default",
                Some("https://graph.microsoft.com"),
            ),
            (
                "https://graph.microsoft.com//.default",
                Some("https://graph.microsoft.com/"),
            ),
            (
                "https://graph.microsoft.com",
                Some("https://graph.microsoft.com"),
            ),
            ("api://my-api/access", Some("api://my-api")),
            ("https://x.example/api/read", Some("https://x.example/api")),
            (
                "00000003-0000-0000-c000-000000000000/.default",
                Some("00000003-0000-0000-c000-000000000000"),
            ),
            ("openid", None),
        ];
        for (scope, resource) in cases {
            assert_eq!(resource_of(scope), resource, "{scope}");
        }
    }

    #[test]
    fn one_resource_per_token() {
        assert_eq!(
            scope_param(&["https://graph.microsoft.com/.default"]).unwrap(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            scope_param(&["api://a/read", "API://A/write", "offline_access"]).unwrap(),
            "api://a/read API://A/write offline_access"
        );
        let err = scope_param(&[
            "https://graph.microsoft.com/.default",
            "https://management.azure.com/.default",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("different resources"), "{err}");
    }

    #[test]
    fn empty_and_spaced_scopes_are_refused() {
        assert!(scope_param(&[])
            .unwrap_err()
            .to_string()
            .contains("/.default"));
        assert!(scope_param(&[""]).is_err());
        assert!(scope_param(&["a b"]).is_err());
        assert!(scope_param(&["https://graph.microsoft.com/.default\n"]).is_err());
    }
}
