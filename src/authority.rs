//! Where the token request goes: a cloud's authority host plus a tenant, or a full token
//! endpoint for ADFS and other RFC 7523 servers, resolved to one validated URL. Pure.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::{Error, ErrorKind, Result};

/// Entra ID's public (global) cloud.
pub const AZURE_PUBLIC_CLOUD: &str = "https://login.microsoftonline.com";
/// Entra ID for the US Government cloud.
pub const AZURE_US_GOVERNMENT: &str = "https://login.microsoftonline.us";
/// Entra ID operated by 21Vianet in China (Azure Identity's constant; Microsoft's China docs
/// also show `https://login.partner.microsoftonline.cn`, usable as a custom host).
pub const AZURE_CHINA: &str = "https://login.chinacloudapi.cn";

/// The environment variable that overrides the authority host (Azure Identity's convention).
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";

/// The Entra authority host: a national cloud or any `https://` host.
///
/// Setting a host cannot fail; it is checked when the credential is built (`https://` only,
/// `http://` only for loopback, no path, query or credentials).
///
/// ```
/// use entra_token::AuthorityHost;
/// assert_eq!(AuthorityHost::default().as_str(), "https://login.microsoftonline.com");
/// assert_eq!(AuthorityHost::from("https://login.microsoftonline.us/"), AuthorityHost::UsGovernment);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorityHost {
    /// [`AZURE_PUBLIC_CLOUD`].
    #[default]
    Public,
    /// [`AZURE_US_GOVERNMENT`].
    UsGovernment,
    /// [`AZURE_CHINA`].
    China,
    /// Any other host, e.g. a regional `https://westeurope.login.microsoft.com` or a local
    /// emulator `http://127.0.0.1:8400`.
    Custom(String),
}

impl AuthorityHost {
    /// The host URL as given (presets without a trailing slash).
    pub fn as_str(&self) -> &str {
        match self {
            AuthorityHost::Public => AZURE_PUBLIC_CLOUD,
            AuthorityHost::UsGovernment => AZURE_US_GOVERNMENT,
            AuthorityHost::China => AZURE_CHINA,
            AuthorityHost::Custom(host) => host,
        }
    }

    /// The host named by `AZURE_AUTHORITY_HOST`, or [`AuthorityHost::Public`] when it is unset
    /// or empty.
    ///
    /// # Errors
    /// [`ErrorKind::Environment`] when the variable is set to something that is not a valid
    /// authority host, or is not Unicode.
    pub fn from_env() -> Result<Self> {
        match std::env::var(AZURE_AUTHORITY_HOST) {
            Ok(value) => Self::from_env_value(Some(&value)),
            Err(std::env::VarError::NotPresent) => Self::from_env_value(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(env_error("is not valid Unicode")),
        }
    }

    /// [`from_env`](Self::from_env) for a value already read: `None` or empty means the
    /// public cloud.
    ///
    /// ```
    /// use entra_token::AuthorityHost;
    /// assert_eq!(AuthorityHost::from_env_value(None).unwrap(), AuthorityHost::Public);
    /// assert_eq!(
    ///     AuthorityHost::from_env_value(Some("https://login.chinacloudapi.cn")).unwrap(),
    ///     AuthorityHost::China,
    /// );
    /// assert!(AuthorityHost::from_env_value(Some("http://example.com")).is_err());
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Environment`] when the value is not a valid authority host.
    pub fn from_env_value(value: Option<&str>) -> Result<Self> {
        let value = value.map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return Ok(AuthorityHost::Public);
        }
        let host = AuthorityHost::from(value);
        match host.validate() {
            Ok(_) => Ok(host),
            Err(e) => Err(env_error(&match e.kind() {
                ErrorKind::InvalidConfiguration { reason } => reason.clone(),
                _ => e.to_string(),
            })),
        }
    }

    /// Parses and checks the host: `https`, or `http` on a loopback host; nothing after the
    /// host but an optional `/`. Returns it without a trailing slash.
    pub(crate) fn validate(&self) -> Result<Url> {
        let text = self.as_str().trim();
        let url = Url::parse(text)
            .map_err(|e| Error::config(format!("authority host {text:?} is not a URL ({e})")))?;
        check_scheme(&url, "authority host")?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!(
                "authority host {text:?} must be only a scheme and host such as \
                 {AZURE_PUBLIC_CLOUD}: give the tenant separately, or set a full token endpoint"
            )));
        }
        Ok(url)
    }
}

impl From<&str> for AuthorityHost {
    /// Recognises the presets (ignoring case and one trailing slash); anything else is
    /// [`AuthorityHost::Custom`].
    fn from(value: &str) -> Self {
        let trimmed = value.trim();
        let normalised = trimmed
            .strip_suffix('/')
            .unwrap_or(trimmed)
            .to_ascii_lowercase();
        match normalised.as_str() {
            AZURE_PUBLIC_CLOUD => AuthorityHost::Public,
            AZURE_US_GOVERNMENT => AuthorityHost::UsGovernment,
            AZURE_CHINA => AuthorityHost::China,
            _ => AuthorityHost::Custom(trimmed.to_owned()),
        }
    }
}

impl From<String> for AuthorityHost {
    fn from(value: String) -> Self {
        AuthorityHost::from(value.as_str())
    }
}

fn env_error(reason: &str) -> Error {
    Error::new(ErrorKind::Environment {
        variable: AZURE_AUTHORITY_HOST.to_owned(),
        reason: reason.to_owned(),
    })
}

/// The resolved token endpoint and whether it is Entra's (host + tenant) or a full override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Authority {
    token_endpoint: Url,
    overridden: bool,
}

impl Authority {
    /// `{host}/{tenant}/oauth2/v2.0/token` after validating both.
    pub(crate) fn entra(host: &AuthorityHost, tenant: &str) -> Result<Self> {
        validate_tenant(tenant)?;
        let host = host.validate()?;
        let text = format!("{}{}/oauth2/v2.0/token", host.as_str(), tenant.trim());
        let token_endpoint = Url::parse(&text)
            .map_err(|e| Error::config(format!("token endpoint {text:?} is invalid ({e})")))?;
        Ok(Authority {
            token_endpoint,
            overridden: false,
        })
    }

    /// A full token endpoint (ADFS: `https://adfs.contoso.com/adfs/oauth2/token`).
    pub(crate) fn endpoint(url: &str) -> Result<Self> {
        let text = url.trim();
        let token_endpoint = Url::parse(text)
            .map_err(|e| Error::config(format!("token endpoint {text:?} is not a URL ({e})")))?;
        check_scheme(&token_endpoint, "token endpoint")?;
        if token_endpoint.fragment().is_some() {
            return Err(Error::config(format!(
                "token endpoint {text:?} must not have a #fragment"
            )));
        }
        Ok(Authority {
            token_endpoint,
            overridden: true,
        })
    }

    /// The token endpoint, which is also the assertion's `aud`.
    pub(crate) fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// True when a full endpoint was given (then RS256 is the default algorithm).
    pub(crate) fn is_overridden(&self) -> bool {
        self.overridden
    }
}

/// Checks a tenant ID (GUID) or domain: letters, digits, `-` and `.`, not a multi-tenant alias.
pub(crate) fn validate_tenant(tenant: &str) -> Result<()> {
    let tenant = tenant.trim();
    if tenant.is_empty() {
        return Err(Error::config(
            "the tenant is empty: give the directory (tenant) ID or a verified domain such as \
             contoso.onmicrosoft.com",
        ));
    }
    let lower = tenant.to_ascii_lowercase();
    if ["common", "organizations", "consumers"].contains(&lower.as_str()) {
        return Err(Error::config(format!(
            "tenant {tenant:?} is a multi-tenant alias, but client credentials (app-only \
             tokens) need a specific tenant: give the directory (tenant) ID or a verified domain"
        )));
    }
    let valid_chars = tenant
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let valid_edges = !tenant.starts_with(['.', '-']) && !tenant.ends_with(['.', '-']);
    if !valid_chars || !valid_edges || tenant.len() > 253 || tenant.contains("..") {
        return Err(Error::config(format!(
            "tenant {tenant:?} is neither a tenant ID (GUID) nor a domain name"
        )));
    }
    Ok(())
}

/// `https` anywhere; `http` only on loopback. No user info.
fn check_scheme(url: &Url, what: &str) -> Result<()> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(format!(
            "{what} must not contain user credentials"
        )));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::config(format!(
            "{what} {:?} uses http://, which is allowed only for loopback (127.0.0.1, ::1, \
             localhost): use https://",
            url.as_str()
        ))),
        scheme => Err(Error::config(format!(
            "{what} {:?} has scheme {scheme:?}: use https://",
            url.as_str()
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests;
