//! A CA as `openssl ca` keeps one: a database directory with `index.txt`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::{openssl, path_str, write};

/// How a new [`IndexCa`] database starts.
#[derive(Clone, Debug)]
pub struct CaConfig<'a> {
    /// The first serial `openssl ca` gives a certificate it issues.
    pub serial: u64,
    /// The first CRL's number (the `crlnumber` file holds it in hex).
    pub crl_number: u64,
    /// nextUpdate − thisUpdate of the CRLs made, in days.
    pub crl_days: u32,
    /// Lines added to the CRL extensions section after
    /// `authorityKeyIdentifier = keyid:always` (more lines, more sections).
    pub crl_extensions: &'a str,
}

impl Default for CaConfig<'_> {
    fn default() -> Self {
        CaConfig {
            serial: 1,
            crl_number: 1,
            crl_days: 30,
            crl_extensions: "",
        }
    }
}

/// An `openssl ca` database around a CA certificate and its key: issues
/// and revokes certificates, and makes CRLs with `openssl ca -gencrl`.
/// Every path in `ca.cnf` is absolute, so `openssl` may run anywhere.
#[derive(Clone, Debug)]
pub struct IndexCa {
    /// The database directory (`index.txt`, `serial`, `crlnumber`,
    /// `ca.cnf`, `new/`).
    pub dir: PathBuf,
    /// The CA certificate (PEM).
    pub cert: PathBuf,
    /// The CA's private key (PEM).
    pub key: PathBuf,
    /// The configuration `openssl ca -config` is given; a test may edit it
    /// between CRLs.
    pub cnf: PathBuf,
}

impl IndexCa {
    /// A new, empty database in `dir` (made if missing) for an existing
    /// certificate and key.
    pub fn new(dir: &Path, cert: PathBuf, key: PathBuf, config: &CaConfig<'_>) -> IndexCa {
        std::fs::create_dir_all(dir.join("new"))
            .unwrap_or_else(|e| panic!("cannot make {}/new: {e}", dir.display()));
        write(&dir.join("index.txt"), "");
        write(&dir.join("serial"), format!("{:04X}\n", config.serial));
        write(
            &dir.join("crlnumber"),
            format!("{:02X}\n", config.crl_number),
        );
        let cnf = dir.join("ca.cnf");
        write(
            &cnf,
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/new\n\
                 serial = {d}/serial\ncrlnumber = {d}/crlnumber\ncertificate = {c}\n\
                 private_key = {k}\ndefault_md = sha256\npolicy = any\nunique_subject = no\n\
                 default_crl_days = {days}\ncrl_extensions = crl_ext\n\
                 [any]\ncountryName = optional\norganizationName = optional\n\
                 organizationalUnitName = optional\ncommonName = optional\n\
                 [crl_ext]\nauthorityKeyIdentifier = keyid:always\n{ext}\n",
                d = path_str(dir),
                c = path_str(&cert),
                k = path_str(&key),
                days = config.crl_days,
                ext = config.crl_extensions,
            ),
        );
        IndexCa {
            dir: dir.to_path_buf(),
            cert,
            key,
            cnf,
        }
    }

    /// A self-signed CA in `dir`: `openssl req -x509 -nodes -keyout
    /// dir/ca.key -out dir/ca.pem REQ_ARGS` (which give the key, subject,
    /// validity and extensions), with a new database in `dir`.
    pub fn self_signed(dir: &Path, req_args: &[&str], config: &CaConfig<'_>) -> IndexCa {
        let (cert, key) = (dir.join("ca.pem"), dir.join("ca.key"));
        let mut args = vec![
            "req",
            "-x509",
            "-nodes",
            "-keyout",
            path_str(&key),
            "-out",
            path_str(&cert),
        ];
        args.extend_from_slice(req_args);
        openssl(&args);
        IndexCa::new(dir, cert, key, config)
    }

    /// Writes a row for a certificate this CA revoked (without issuing it):
    /// `serial` in hex as `index.txt` has it, dates as `YYMMDDHHMMSSZ`,
    /// `reason` an `openssl ca -crl_reason` name or "" for none.
    pub fn add_revoked(
        &self,
        serial: &str,
        not_after: &str,
        revoked_at: &str,
        reason: &str,
        subject: &str,
    ) {
        let revocation = if reason.is_empty() {
            revoked_at.to_string()
        } else {
            format!("{revoked_at},{reason}")
        };
        self.add_row(&format!(
            "R\t{not_after}\t{revocation}\t{serial}\tunknown\t{subject}\n"
        ));
    }

    /// Writes a row for a valid certificate (as [`IndexCa::add_revoked`]).
    pub fn add_valid(&self, serial: &str, not_after: &str, subject: &str) {
        self.add_row(&format!("V\t{not_after}\t\t{serial}\tunknown\t{subject}\n"));
    }

    fn add_row(&self, row: &str) {
        let path = self.dir.join("index.txt");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(row.as_bytes()))
            .unwrap_or_else(|e| panic!("cannot append to {}: {e}", path.display()));
    }

    /// Signs the request `csr` into `out` (PEM, no text) with the section
    /// `ext` of `extfile`, valid from `start` to `end` (`YYYYMMDDHHMMSSZ`),
    /// keeping the request's subject as it is.
    pub fn issue(&self, csr: &Path, out: &Path, extfile: &Path, ext: &str, start: &str, end: &str) {
        openssl(&[
            "ca",
            "-batch",
            "-config",
            path_str(&self.cnf),
            "-in",
            path_str(csr),
            "-out",
            path_str(out),
            "-startdate",
            start,
            "-enddate",
            end,
            "-extfile",
            path_str(extfile),
            "-extensions",
            ext,
            "-notext",
            "-preserveDN",
        ]);
    }

    /// Revokes `cert` (one this CA issued) for `reason` (an
    /// `openssl ca -crl_reason` name).
    pub fn revoke(&self, cert: &Path, reason: &str) {
        openssl(&[
            "ca",
            "-config",
            path_str(&self.cnf),
            "-revoke",
            path_str(cert),
            "-crl_reason",
            reason,
        ]);
    }

    /// `openssl ca -gencrl -out OUT EXTRA` (PEM; the next CRL number each
    /// call): `out`.
    pub fn gencrl(&self, out: &Path, extra: &[&str]) -> PathBuf {
        let mut args = vec![
            "ca",
            "-config",
            path_str(&self.cnf),
            "-gencrl",
            "-out",
            path_str(out),
        ];
        args.extend_from_slice(extra);
        openssl(&args);
        out.to_path_buf()
    }
}
