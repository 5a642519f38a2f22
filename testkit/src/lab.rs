//! Whole PKIs made with `openssl req` and `openssl ca`.

use std::path::{Path, PathBuf};

use crate::{openssl, path_str, rsa_key, write, CaConfig, IndexCa};

/// What `openssl req` needs besides the extension sections.
const REQ_CNF: &str = "[req]\ndistinguished_name = dn\n[dn]\n";

/// The extension sections every [`Lab`] has: `root` (a self-signed CA),
/// `inter` (an intermediate CA) and `leaf` (a signing end entity).
pub const BASE_EXTS: &str = "\
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
";

/// Validity of the certificates [`Lab::issue`] makes.
const NOT_BEFORE: &str = "20200101000000Z";
const NOT_AFTER: &str = "20400101000000Z";

/// A PKI workshop in a directory: RSA-2048 keys, self-signed roots,
/// certificates issued by `openssl ca` with the extension sections of
/// [`BASE_EXTS`] and those the test gives to [`Lab::new`], revocations and
/// CRLs. Every file it makes is numbered, so nothing is overwritten.
pub struct Lab {
    /// Where every file goes.
    pub dir: PathBuf,
    n: usize,
}

impl Lab {
    /// A lab in `dir` whose certificates name sections of [`BASE_EXTS`]
    /// or of `exts` (more sections, an OpenSSL config fragment:
    /// `[name]` lines, each followed by its extensions). Makes the key
    /// every [`Lab::leaf`] shares.
    pub fn new(dir: &Path, exts: &str) -> Lab {
        let exts = format!("{BASE_EXTS}{exts}");
        write(&dir.join("req.cnf"), format!("{REQ_CNF}{exts}"));
        write(&dir.join("exts.cnf"), &exts);
        let mut lab = Lab {
            dir: dir.to_path_buf(),
            n: 0,
        };
        let k = lab.key();
        std::fs::rename(&k, lab.leaf_key())
            .unwrap_or_else(|e| panic!("cannot rename {}: {e}", k.display()));
        lab
    }

    /// A new numbered path `dir/N-what`.
    pub fn path(&mut self, what: &str) -> PathBuf {
        self.n += 1;
        self.dir.join(format!("{}-{what}", self.n))
    }

    /// A new RSA-2048 key.
    pub fn key(&mut self) -> PathBuf {
        let k = self.path("key.pem");
        rsa_key(&k);
        k
    }

    /// The key every leaf shares.
    pub fn leaf_key(&self) -> PathBuf {
        self.dir.join("leafkey.pem")
    }

    /// The extension sections, as `openssl ca -extfile` takes them.
    pub fn exts(&self) -> PathBuf {
        self.dir.join("exts.cnf")
    }

    /// A CA database (in a new directory) around an existing certificate
    /// and key; its CRLs carry `crl_ext` (config lines) besides the AKI and
    /// are valid for 7 days.
    pub fn ca(&mut self, key: PathBuf, cert: PathBuf, crl_ext: &str) -> IndexCa {
        let dir = self.path("ca");
        let config = CaConfig {
            serial: 0x1000 + self.n as u64,
            crl_number: 1,
            crl_days: 7,
            crl_extensions: crl_ext,
        };
        IndexCa::new(&dir, cert, key, &config)
    }

    /// A self-signed root with a new key, serial 1, valid 20 years, with
    /// the extension section `ext`.
    pub fn root(&mut self, subj: &str, ext: &str) -> IndexCa {
        let key = self.key();
        let cert = self.path("root.pem");
        let rc = self.dir.join("req.cnf");
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-config",
            path_str(&rc),
            "-key",
            path_str(&key),
            "-subj",
            subj,
            "-days",
            "7300",
            "-set_serial",
            "1",
            "-extensions",
            ext,
            "-out",
            path_str(&cert),
        ]);
        self.ca(key, cert, "")
    }

    /// A certificate from `ca` for `key` with the extension section `ext`,
    /// valid 2020–2040.
    pub fn issue(&mut self, ca: &IndexCa, subj: &str, key: &Path, ext: &str) -> PathBuf {
        self.issue_between(ca, subj, key, ext, NOT_BEFORE, NOT_AFTER)
    }

    /// [`Lab::issue`] valid from `start` to `end` (`YYYYMMDDHHMMSSZ`).
    pub fn issue_between(
        &mut self,
        ca: &IndexCa,
        subj: &str,
        key: &Path,
        ext: &str,
        start: &str,
        end: &str,
    ) -> PathBuf {
        let csr = self.path("req.csr");
        let rc = self.dir.join("req.cnf");
        openssl(&[
            "req",
            "-new",
            "-config",
            path_str(&rc),
            "-key",
            path_str(key),
            "-subj",
            subj,
            "-out",
            path_str(&csr),
        ]);
        let cert = self.path("cert.pem");
        ca.issue(&csr, &cert, &self.exts(), ext, start, end);
        cert
    }

    /// A leaf `/C=JP/L=Tokyo/CN=cn` from `ca` with the shared leaf key.
    pub fn leaf(&mut self, ca: &IndexCa, cn: &str, ext: &str) -> PathBuf {
        let key = self.leaf_key();
        self.issue(ca, &format!("/C=JP/L=Tokyo/CN={cn}"), &key, ext)
    }

    /// An intermediate CA certified by `parent`, with a new key; its CRLs
    /// carry `crl_ext`.
    pub fn sub_ca(&mut self, parent: &IndexCa, subj: &str, ext: &str, crl_ext: &str) -> IndexCa {
        let key = self.key();
        let cert = self.issue(parent, subj, &key, ext);
        self.ca(key, cert, crl_ext)
    }

    /// An intermediate CA certified by `parent` for an existing `key`.
    pub fn sub_ca_with_key(
        &mut self,
        parent: &IndexCa,
        subj: &str,
        ext: &str,
        key: &Path,
    ) -> IndexCa {
        let cert = self.issue(parent, subj, key, ext);
        self.ca(key.to_path_buf(), cert, "")
    }

    /// Revokes `cert` at `ca` for `reason` (an `openssl ca -crl_reason`
    /// name).
    pub fn revoke(&self, ca: &IndexCa, cert: &Path, reason: &str) {
        ca.revoke(cert, reason);
    }

    /// `ca`'s next CRL (PEM).
    pub fn crl(&mut self, ca: &IndexCa) -> PathBuf {
        let out = self.path("crl.pem");
        ca.gencrl(&out, &[])
    }
}
