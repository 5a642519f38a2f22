//! The little URI syntax the provider needs: whether a registered redirect
//! URI or an issuer is absolute, and its host. Redirect URIs are compared as
//! exact strings elsewhere, never normalised, so no full URL parser is used
//! here (the `url` crate would normalise case and percent-encoding, which is
//! exactly what an exact match must not do).

/// The parts of an absolute `http`/`https` URI the provider looks at
/// (RFC 3986 §3).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HttpUri<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) host: &'a str,
    pub(crate) has_query: bool,
    pub(crate) has_fragment: bool,
}

/// Splits `s` as `scheme "://" authority path-abempty [ "?" query ] [ "#"
/// fragment ]` with scheme `http` or `https`, a non-empty host, no userinfo
/// and only printable ASCII without spaces. `None` otherwise.
pub(crate) fn parse_http(s: &str) -> Option<HttpUri<'_>> {
    if !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return None;
    }
    let (scheme, rest) = s.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => &authority[..v6.find(']')? + 2],
        None => authority.split(':').next()?,
    };
    if host.is_empty() {
        return None;
    }
    let after = &rest[end..];
    Some(HttpUri {
        scheme,
        host,
        has_query: after.split('#').next().is_some_and(|p| p.contains('?')),
        has_fragment: after.contains('#'),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_host() {
        let u = parse_http("https://rp.example:8443/cb?x=1").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.has_query, u.has_fragment),
            ("https", "rp.example", true, false)
        );
        assert_eq!(parse_http("http://[::1]:80/cb").unwrap().host, "[::1]");
        assert!(parse_http("http://a/cb#f").unwrap().has_fragment);
    }

    #[test]
    fn refuses_non_http_and_odd_authorities() {
        for bad in [
            "ftp://a/",
            "https:///cb",
            "https://u@evil/",
            "/cb",
            "https://a b/",
            "javascript://a/",
        ] {
            assert_eq!(parse_http(bad), None, "{bad}");
        }
    }
}
