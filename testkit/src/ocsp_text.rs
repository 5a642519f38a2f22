//! What `openssl ocsp -resp_text` and `-req_text` print, read back.

/// One CertID as OpenSSL prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertIdText {
    /// `sha1`, `sha256`, …
    pub hash_algorithm: String,
    /// Upper-case hex.
    pub issuer_name_hash: String,
    /// Upper-case hex.
    pub issuer_key_hash: String,
    /// Upper-case hex, `-` for a negative serial.
    pub serial: String,
}

/// One SingleResponse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SingleText {
    /// The CertID it answers.
    pub cert_id: CertIdText,
    /// `good`, `revoked` or `unknown`.
    pub cert_status: String,
    /// Times as OpenSSL prints them (`Jan  1 00:00:00 2025 GMT`; see
    /// [`crate::openssl_time`]).
    pub revocation_time: Option<String>,
    /// The reason's name (`keyCompromise`), without OpenSSL's code.
    pub revocation_reason: Option<String>,
    /// thisUpdate.
    pub this_update: String,
    /// nextUpdate, when there is one.
    pub next_update: Option<String>,
}

/// An OCSP request or response as `openssl ocsp -req_text` /
/// `-resp_text` prints it. Fields a request lacks stay empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OcspText {
    /// `successful (0x0)`, or for an error response, which OpenSSL prints
    /// alone, `unauthorized (6)`, `malformedRequest (1)`, …
    pub response_status: String,
    /// A Name for byName, upper-case hex of the key hash for byKey.
    pub responder_id: String,
    /// producedAt.
    pub produced_at: String,
    /// A response's SingleResponses, or a request's CertIDs (status empty).
    pub singles: Vec<SingleText>,
    /// The nonce extension's value, upper-case hex as printed (the DER
    /// OCTET STRING inside extnValue).
    pub nonce: Option<String>,
    /// The response's signature algorithm.
    pub signature_algorithm: Option<String>,
    /// The certificates of the response, as the PEM blocks printed after
    /// their text.
    pub certs_pem: Vec<String>,
}

/// Reads the output of `openssl ocsp -resp_text` or `-req_text`.
pub fn ocsp_text(text: &str) -> OcspText {
    let mut out = OcspText::default();
    let mut lines = text.lines();
    let mut in_certs = false;
    let mut pem: Option<String> = None;
    while let Some(raw) = lines.next() {
        if let Some(block) = pem.as_mut() {
            block.push_str(raw);
            block.push('\n');
            if raw.starts_with("-----END ") {
                out.certs_pem.extend(pem.take());
            }
            continue;
        }
        if raw.starts_with("-----BEGIN CERTIFICATE-----") {
            pem = Some(format!("{raw}\n"));
            continue;
        }
        // A certificate's text (X509_print) follows the response; its
        // fields must not be read as the response's.
        if raw == "Certificate:" {
            in_certs = true;
        }
        if in_certs {
            continue;
        }
        let line = raw.trim();
        let (key, value) = match line.split_once(':') {
            Some((k, v)) => (k, v.trim()),
            None => continue,
        };
        let single = out.singles.last_mut();
        match (key, single) {
            ("OCSP Response Status" | "Responder Error", _) => out.response_status = value.into(),
            ("Responder Id", _) => out.responder_id = value.into(),
            ("Produced At", _) => out.produced_at = value.into(),
            ("Certificate ID", _) => out.singles.push(SingleText::default()),
            ("OCSP Nonce", _) => {
                out.nonce = lines.next().map(|l| l.trim().to_string());
            }
            ("Signature Algorithm", _) if out.signature_algorithm.is_none() => {
                out.signature_algorithm = Some(value.into());
            }
            ("Hash Algorithm", Some(s)) => s.cert_id.hash_algorithm = value.into(),
            ("Issuer Name Hash", Some(s)) => s.cert_id.issuer_name_hash = value.into(),
            ("Issuer Key Hash", Some(s)) => s.cert_id.issuer_key_hash = value.into(),
            ("Serial Number", Some(s)) => s.cert_id.serial = value.into(),
            ("Cert Status", Some(s)) => s.cert_status = value.into(),
            ("Revocation Time", Some(s)) => s.revocation_time = Some(value.into()),
            ("Revocation Reason", Some(s)) => {
                let name = value.split(" (").next().unwrap_or(value);
                s.revocation_reason = Some(name.into());
            }
            ("This Update", Some(s)) => s.this_update = value.into(),
            ("Next Update", Some(s)) => s.next_update = Some(value.into()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What OpenSSL 3.0 prints for a response of its own responder
    /// (`openssl ocsp -index …`), shortened.
    const RESPONSE: &str = "\
OCSP Response Data:
    OCSP Response Status: successful (0x0)
    Response Type: Basic OCSP Response
    Version: 1 (0x0)
    Responder Id: 3E8465442DDFFAAAFC832DB82B0D20E51B390EC4
    Produced At: Dec  6 22:01:13 2026 GMT
    Responses:
    Certificate ID:
      Hash Algorithm: sha1
      Issuer Name Hash: 7BA1023EA13B272D9AD1190F8D0897E791C5E8BC
      Issuer Key Hash: 3E8465442DDFFAAAFC832DB82B0D20E51B390EC4
      Serial Number: 1D1534354987EBB1
    Cert Status: revoked
    Revocation Time: Jan  1 00:00:00 2025 GMT
    Revocation Reason: keyCompromise (0x1)
    This Update: Dec  6 22:01:13 2026 GMT
    Next Update: Dec  6 22:06:13 2026 GMT

    Certificate ID:
      Hash Algorithm: sha1
      Issuer Name Hash: 7BA1023EA13B272D9AD1190F8D0897E791C5E8BC
      Issuer Key Hash: 3E8465442DDFFAAAFC832DB82B0D20E51B390EC4
      Serial Number: -05
    Cert Status: unknown
    This Update: Dec  6 22:01:13 2026 GMT

    Response Extensions:
        OCSP Nonce: 
            041059AAAF8604949911290B70D6FA7CEE15
    Signature Algorithm: sha256WithRSAEncryption
    Signature Value:
        66:f8:49
Certificate:
    Data:
        Version: 3 (0x2)
        Serial Number: 2 (0x2)
        Signature Algorithm: sha256WithRSAEncryption
-----BEGIN CERTIFICATE-----
MIIB
-----END CERTIFICATE-----
";

    #[test]
    fn an_error_response_is_its_status() {
        let r = ocsp_text("Responder Error: unauthorized (6)\n");
        assert_eq!(r.response_status, "unauthorized (6)");
        assert!(r.singles.is_empty());
    }

    #[test]
    fn reads_every_field_and_not_the_certificate_text() {
        let r = ocsp_text(RESPONSE);
        assert_eq!(r.response_status, "successful (0x0)");
        assert_eq!(r.responder_id, "3E8465442DDFFAAAFC832DB82B0D20E51B390EC4");
        assert_eq!(r.produced_at, "Dec  6 22:01:13 2026 GMT");
        assert_eq!(r.singles.len(), 2);
        let s = &r.singles[0];
        assert_eq!(s.cert_id.hash_algorithm, "sha1");
        assert_eq!(
            s.cert_id.issuer_name_hash,
            "7BA1023EA13B272D9AD1190F8D0897E791C5E8BC"
        );
        assert_eq!(s.cert_id.serial, "1D1534354987EBB1");
        assert_eq!(s.cert_status, "revoked");
        assert_eq!(
            s.revocation_time.as_deref(),
            Some("Jan  1 00:00:00 2025 GMT")
        );
        assert_eq!(s.revocation_reason.as_deref(), Some("keyCompromise"));
        assert_eq!(s.next_update.as_deref(), Some("Dec  6 22:06:13 2026 GMT"));
        let u = &r.singles[1];
        assert_eq!(
            (u.cert_id.serial.as_str(), u.cert_status.as_str()),
            ("-05", "unknown")
        );
        assert_eq!(
            (u.revocation_time.as_ref(), u.next_update.as_ref()),
            (None, None)
        );
        assert_eq!(
            r.nonce.as_deref(),
            Some("041059AAAF8604949911290B70D6FA7CEE15")
        );
        assert_eq!(
            r.signature_algorithm.as_deref(),
            Some("sha256WithRSAEncryption")
        );
        assert_eq!(
            r.certs_pem,
            ["-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"]
        );
    }
}
