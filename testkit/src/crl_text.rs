//! What `openssl crl -text` prints, read back.

/// One revoked certificate as `openssl crl -text` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlTextEntry {
    /// Upper-case hex, as printed (`0123000001`).
    pub serial: String,
    /// As printed: `Jan  2 03:04:05 2024 GMT` (see [`openssl_time`]).
    pub revoked_at: String,
    /// As printed (`Key Compromise`), or "" when the entry has no reason
    /// code (see [`reason_name`]).
    pub reason: String,
}

/// The revoked entries of `openssl crl -text` output, in its order.
pub fn crl_text_entries(text: &str) -> Vec<CrlTextEntry> {
    let mut out: Vec<CrlTextEntry> = Vec::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let l = l.trim();
        if let Some(s) = l.strip_prefix("Serial Number: ") {
            out.push(CrlTextEntry {
                serial: s.trim().to_string(),
                revoked_at: String::new(),
                reason: String::new(),
            });
        } else if let Some(d) = l.strip_prefix("Revocation Date: ") {
            if let Some(e) = out.last_mut() {
                e.revoked_at = d.trim().to_string();
            }
        } else if l.starts_with("X509v3 CRL Reason Code") {
            // The reason is on the line after the extension's name.
            if let (Some(e), Some(r)) = (out.last_mut(), lines.next()) {
                e.reason = r.trim().to_string();
            }
        }
    }
    out
}

/// A UTC time as OpenSSL prints one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpensslTime {
    /// The year, e.g. 2024.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
    /// 0–23.
    pub hour: u8,
    /// 0–59.
    pub minute: u8,
    /// 0–60.
    pub second: u8,
}

impl OpensslTime {
    /// `2024-01-02T03:04:05Z`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// `Jan  2 03:04:05 2024 GMT` (how OpenSSL prints a time) as fields.
pub fn openssl_time(s: &str) -> OpensslTime {
    parse_time(s).unwrap_or_else(|| panic!("not an OpenSSL time: {s:?}"))
}

fn parse_time(s: &str) -> Option<OpensslTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let p: Vec<&str> = s.split_whitespace().collect();
    let [month, day, hms, year, ..] = p[..] else {
        return None;
    };
    let hms: Vec<u8> = hms
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [hour, minute, second] = hms[..] else {
        return None;
    };
    Some(OpensslTime {
        year: year.parse().ok()?,
        month: MONTHS.iter().position(|m| *m == month)? as u8 + 1,
        day: day.parse().ok()?,
        hour,
        minute,
        second,
    })
}

/// OpenSSL's text for a reason code → its RFC 5280 name (`None` for "",
/// no reason code). Panics on text it does not know.
pub fn reason_name(text: &str) -> Option<&'static str> {
    Some(match text {
        "" => return None,
        "Unspecified" => "unspecified",
        "Key Compromise" => "keyCompromise",
        "CA Compromise" => "cACompromise",
        "Affiliation Changed" => "affiliationChanged",
        "Superseded" => "superseded",
        "Cessation Of Operation" => "cessationOfOperation",
        "Certificate Hold" => "certificateHold",
        "Remove From CRL" => "removeFromCRL",
        "Privilege Withdrawn" => "privilegeWithdrawn",
        "AA Compromise" => "aACompromise",
        other => panic!("unknown reason text {other:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_and_times() {
        let text = "\
Revoked Certificates:
    Serial Number: 01
        Revocation Date: Jan  1 00:00:00 2025 GMT
        CRL entry extensions:
            X509v3 CRL Reason Code:
                Key Compromise
    Serial Number: 0A0B
        Revocation Date: Dec 31 23:59:59 2049 GMT
    Signature Algorithm: sha256WithRSAEncryption
";
        let e = crl_text_entries(text);
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].serial.as_str(), e[0].reason.as_str()),
            ("01", "Key Compromise")
        );
        assert_eq!((e[1].serial.as_str(), e[1].reason.as_str()), ("0A0B", ""));
        assert_eq!(
            openssl_time(&e[1].revoked_at).rfc3339(),
            "2049-12-31T23:59:59Z"
        );
        assert_eq!(reason_name(&e[0].reason), Some("keyCompromise"));
        assert_eq!(reason_name(&e[1].reason), None);
    }
}
