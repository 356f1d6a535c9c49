//! The cache key: everything that changes the token (authority, tenant, client, certificate
//! thumbprint, normalised scopes), hashable and comparable *by reference* so that a cache
//! hit allocates nothing.

use std::borrow::{Borrow, Cow};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Who asks for tokens: the part of the key that is fixed for a credential (until its
/// certificate is rotated). Its hash is computed once.
#[derive(Debug)]
pub(crate) struct Identity {
    authority: String,
    tenant: String,
    client_id: String,
    thumbprint: String,
    hash: u64,
}

impl Identity {
    /// The identity of `client_id` in `tenant` at `authority` with the certificate of this
    /// `thumbprint` (or a secret's fingerprint; any string that changes when the key does).
    pub(crate) fn new(
        authority: impl Into<String>,
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        thumbprint: impl Into<String>,
    ) -> Self {
        // Hosts, tenants (GUIDs or domains) and client IDs are case-insensitive in Entra.
        let authority = authority.into().to_ascii_lowercase();
        let tenant = tenant.into().to_ascii_lowercase();
        let client_id = client_id.into().to_ascii_lowercase();
        let thumbprint = thumbprint.into();
        let mut h = DefaultHasher::new();
        (&authority, &tenant, &client_id, &thumbprint).hash(&mut h);
        let hash = h.finish();
        Identity {
            authority,
            tenant,
            client_id,
            thumbprint,
            hash,
        }
    }

    fn same(&self, other: &Identity) -> bool {
        std::ptr::eq(self, other)
            || (self.hash == other.hash
                && self.authority == other.authority
                && self.tenant == other.tenant
                && self.client_id == other.client_id
                && self.thumbprint == other.thumbprint)
    }
}

/// An owned key, stored in the cache.
#[derive(Clone, Debug)]
pub(crate) struct CacheKey {
    identity: Arc<Identity>,
    scopes: Arc<str>,
}

impl CacheKey {
    /// The normalised scopes, as sent to the token endpoint.
    pub(crate) fn scopes(&self) -> &str {
        &self.scopes
    }

    /// Whether this is `key`: the identity by pointer first (the common case), the scope
    /// bytes last.
    pub(crate) fn matches(&self, key: KeyRef<'_>) -> bool {
        self.scopes.len() == key.scopes.len()
            && (Arc::ptr_eq(&self.identity, key.identity) || self.identity.same(key.identity))
            && *self.scopes == *key.scopes
    }

    /// This key, borrowed.
    pub(crate) fn as_ref(&self) -> KeyRef<'_> {
        KeyRef {
            identity: &self.identity,
            scopes: &self.scopes,
        }
    }
}

/// A borrowed key for lookups: `scopes` must already be normalised ([`normalize_scopes`]).
#[derive(Clone, Copy)]
pub(crate) struct KeyRef<'a> {
    identity: &'a Arc<Identity>,
    scopes: &'a str,
}

impl<'a> KeyRef<'a> {
    /// A key for `identity` and already normalised `scopes`.
    pub(crate) fn new(identity: &'a Arc<Identity>, scopes: &'a str) -> Self {
        KeyRef { identity, scopes }
    }

    /// The normalised scopes.
    pub(crate) fn scopes(&self) -> &'a str {
        self.scopes
    }

    pub(crate) fn to_owned(self) -> CacheKey {
        CacheKey {
            identity: Arc::clone(self.identity),
            scopes: Arc::from(self.scopes),
        }
    }
}

/// What both key forms expose; the map is keyed by `CacheKey` and searched by `dyn KeyView`.
pub(crate) trait KeyView {
    fn parts(&self) -> (&Identity, &str);
}

impl KeyView for CacheKey {
    fn parts(&self) -> (&Identity, &str) {
        (&self.identity, &self.scopes)
    }
}

impl KeyView for KeyRef<'_> {
    fn parts(&self) -> (&Identity, &str) {
        (self.identity, self.scopes)
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let (identity, scopes) = self.parts();
        state.write_u64(identity.hash);
        scopes.hash(state);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        let (a, sa) = self.parts();
        let (b, sb) = other.parts();
        sa == sb && a.same(b)
    }
}

impl Eq for dyn KeyView + '_ {}

impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn KeyView).hash(state)
    }
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        (self as &dyn KeyView) == (other as &dyn KeyView)
    }
}

impl Eq for CacheKey {}

impl<'a> Borrow<dyn KeyView + 'a> for CacheKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

/// Normalises a space-separated scope list so that spellings with the same meaning share one
/// cache entry: scopes sorted and deduplicated, separated by one space; in each scope that is
/// a URI (`scheme://host/...`) the scheme and host lowercased, and a leading GUID
/// (`00000003-0000-0000-C000-000000000000/.default`) lowercased. Paths, `.default` and bare
/// scope names keep their case: an App ID URI path may be case-sensitive to its API.
///
/// Borrows when the input is already normal (the common case), so a hit allocates nothing.
///
/// ```text
/// "https://graph.microsoft.com/.default"                     → unchanged (borrowed)
/// "HTTPS://Graph.Microsoft.com/.default"                     → "https://graph.microsoft.com/.default"
/// " b/.default  a/.default a/.default"                       → "a/.default b/.default"
/// "api://MyApi/Read.All"                                     → "api://myapi/Read.All"
/// ```
pub(crate) fn normalize_scopes(raw: &str) -> Cow<'_, str> {
    if is_normal(raw) {
        return Cow::Borrowed(raw);
    }
    let mut scopes: Vec<Cow<'_, str>> = raw.split_ascii_whitespace().map(normalize_one).collect();
    scopes.sort_unstable();
    scopes.dedup();
    Cow::Owned(scopes.join(" "))
}

fn is_normal(raw: &str) -> bool {
    let mut previous: Option<&str> = None;
    for scope in raw.split(' ') {
        let b = scope.as_bytes();
        if b.is_empty()
            || previous.is_some_and(|p| p >= scope)
            || b.iter().any(u8::is_ascii_whitespace)
            || b[..insensitive_prefix(b)]
                .iter()
                .any(u8::is_ascii_uppercase)
        {
            return false;
        }
        previous = Some(scope);
    }
    true
}

/// The length of the case-insensitive start of one scope: a URI's `scheme://host`, or a
/// leading GUID; 0 for anything else. A byte scan, as this runs on every `get_token`.
fn insensitive_prefix(b: &[u8]) -> usize {
    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://" and a host.
    let scheme = b
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')))
        .unwrap_or(b.len());
    if scheme > 0 && b[scheme..].starts_with(b"://") {
        let host = scheme + 3;
        let len = b[host..]
            .iter()
            .position(|&c| matches!(c, b'/' | b'?' | b'#'))
            .unwrap_or(b.len() - host);
        return host + len;
    }
    const GUID: usize = 36;
    let is_guid = b.len() >= GUID
        && b[..GUID].iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
        && matches!(b.get(GUID), None | Some(b'/'));
    if is_guid {
        GUID
    } else {
        0
    }
}

fn normalize_one(scope: &str) -> Cow<'_, str> {
    let end = insensitive_prefix(scope.as_bytes());
    if scope[..end].bytes().any(|b| b.is_ascii_uppercase()) {
        let mut s = scope[..end].to_ascii_lowercase();
        s.push_str(&scope[end..]);
        Cow::Owned(s)
    } else {
        Cow::Borrowed(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn norm(s: &str) -> Cow<'_, str> {
        normalize_scopes(s)
    }

    #[test]
    fn canonical_input_is_borrowed() {
        for s in [
            "https://graph.microsoft.com/.default",
            "00000003-0000-0000-c000-000000000000/.default",
            "a/.default b/.default",
            "api://myapi/Read.All",
            "User.Read",
        ] {
            assert!(matches!(norm(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn same_meaning_same_key() {
        assert_eq!(
            norm("HTTPS://Graph.Microsoft.COM/.default"),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            norm("  b/.default\ta/.default a/.default "),
            "a/.default b/.default"
        );
        assert_eq!(
            norm("00000003-0000-0000-C000-000000000000/.default"),
            "00000003-0000-0000-c000-000000000000/.default"
        );
        assert_eq!(norm("api://MyApi/Read.All"), "api://myapi/Read.All");
        assert_eq!(norm("https://Host?Q=1"), "https://host?Q=1");
    }

    #[test]
    fn paths_and_names_keep_their_case() {
        assert_eq!(
            norm("https://host/Path/.default"),
            "https://host/Path/.default"
        );
        assert_eq!(norm("User.Read"), "User.Read");
        assert_ne!(norm("user.read"), norm("User.Read"));
        // Not a GUID (wrong length / no slash): untouched.
        assert_eq!(norm("ABCDEF/.default"), "ABCDEF/.default");
        assert_eq!(norm("://X"), "://X");
        assert_eq!(norm(""), "");
    }

    #[test]
    fn borrowed_and_owned_keys_find_the_same_entry() {
        let id = Arc::new(Identity::new("https://login.example", "t", "c", "x5t"));
        let id2 = Arc::new(Identity::new("HTTPS://LOGIN.example", "T", "C", "x5t"));
        let mut map = HashMap::new();
        map.insert(KeyRef::new(&id, "s").to_owned(), 1);
        assert_eq!(map.get(&KeyRef::new(&id2, "s") as &dyn KeyView), Some(&1));
        assert_eq!(map.get(&KeyRef::new(&id, "t") as &dyn KeyView), None);
        let other = Arc::new(Identity::new("https://login.example", "t", "c", "other"));
        assert_eq!(map.get(&KeyRef::new(&other, "s") as &dyn KeyView), None);
    }
}
