//! Shared fixtures: a CA and CRLs made by OpenSSL (the independent oracle),
//! and a runner for the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn kakunin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .expect("run kakunin")
}

pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl must be on PATH");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (serial as index.txt has it, revocation date, reason name or "")
pub const REVOKED: &[(&str, &str, &str)] = &[
    ("01", "250101000000Z", "keyCompromise"),
    ("0123000001", "240203040506Z", "affiliationChanged"),
    ("0123000002", "240203040507Z", "superseded"),
    ("0123000005", "240203040508Z", "cessationOfOperation"),
    ("7FFFFFFFFFFFFFFF", "230101000000Z", ""),
    ("FFFFFFFFFFFFFFFF", "230101000001Z", "CACompromise"),
    ("010000000000000000", "230101000002Z", "unspecified"),
    (
        "7102030405060708090A0B0C0D0E0F1011121314",
        "220101000000Z",
        "certificateHold",
    ),
];

/// A CA made by `openssl req` with a CRL made by `openssl ca -gencrl`.
pub struct OpensslCa {
    pub dir: tempfile::TempDir,
}

impl OpensslCa {
    pub fn new() -> OpensslCa {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                "-keyout", "ca.key", "-out", "ca.pem", "-subj",
                "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
        );
        let mut index = String::new();
        for (serial, date, reason) in REVOKED {
            let rev = if reason.is_empty() {
                date.to_string()
            } else {
                format!("{date},{reason}")
            };
            index.push_str(&format!(
                "R\t351231000000Z\t{rev}\t{serial}\tunknown\t/CN=h{serial}\n"
            ));
        }
        index.push_str("V\t351231000000Z\t\t0123000003\tunknown\t/CN=good\n");
        std::fs::write(d.join("index.txt"), index).unwrap();
        std::fs::write(d.join("index.txt.attr"), "unique_subject = no\n").unwrap();
        std::fs::write(d.join("crlnumber"), "1000\n").unwrap();
        std::fs::write(
            d.join("ca.cnf"),
            "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncertificate=ca.pem\nprivate_key=ca.key\n\
             default_md=sha256\ndefault_crl_days=30\ncrlnumber=crlnumber\ncrl_extensions=ext\n\
             [ext]\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        OpensslCa { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Makes a CRL (next CRL number each call) as DER at `name`.
    pub fn gencrl(&self, name: &str, extra: &[&str]) -> PathBuf {
        let mut args = vec!["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"];
        args.extend_from_slice(extra);
        openssl(self.dir.path(), &args);
        openssl(
            self.dir.path(),
            &["crl", "-in", "crl.pem", "-outform", "DER", "-out", name],
        );
        self.path(name)
    }
}

/// The revoked entries as `openssl crl -text` prints them:
/// serial (upper-case hex) → (revocation date text, reason text or "").
pub fn openssl_entries(ca: &OpensslCa, crl: &str) -> Vec<(String, String, String)> {
    let text = openssl(
        ca.dir.path(),
        &["crl", "-inform", "DER", "-in", crl, "-noout", "-text"],
    );
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        let l = l.trim();
        if let Some(s) = l.strip_prefix("Serial Number: ") {
            out.push((s.trim().to_string(), String::new(), String::new()));
        } else if let Some(d) = l.strip_prefix("Revocation Date: ") {
            if let Some(e) = out.last_mut() {
                e.1 = d.trim().to_string();
            }
        } else if l == "X509v3 CRL Reason Code:" {
            if let (Some(e), Some(r)) = (out.last_mut(), lines.next()) {
                e.2 = r.trim().to_string();
            }
        }
    }
    out
}

/// `Jan  2 03:04:05 2024 GMT` → `2024-01-02T03:04:05Z`.
pub fn openssl_date_to_rfc3339(s: &str) -> String {
    let parts: Vec<&str> = s.split_whitespace().collect();
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = months.iter().position(|x| *x == parts[0]).unwrap() + 1;
    let d: u32 = parts[1].parse().unwrap();
    format!("{}-{m:02}-{d:02}T{}Z", parts[3], parts[2])
}

/// OpenSSL's reason text → RFC 5280 name.
pub fn openssl_reason_to_name(s: &str) -> Option<&'static str> {
    Some(match s {
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

pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .collect()
}
