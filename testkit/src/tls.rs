//! TLS files for a server under test, made by the `openssl` CLI.

use std::path::{Path, PathBuf};

/// A test CA and a server certificate for `127.0.0.1` (subjectAltName
/// IP:127.0.0.1, serverAuth) that it issued, with their keys, made by
/// `openssl` in `dir`.
pub struct TlsFiles {
    dir: PathBuf,
}

impl TlsFiles {
    /// With an EC P-256 server key (PKCS#8, as `openssl genpkey` writes it).
    pub fn new(dir: &Path) -> TlsFiles {
        Self::with_key(
            dir,
            "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out",
        )
    }

    /// `server_key` is the `openssl` command (after `openssl`) that writes
    /// the server's key to the path appended to it.
    pub fn with_key(dir: &Path, server_key: &str) -> TlsFiles {
        std::fs::create_dir_all(dir).expect("mkdir");
        let openssl = |command: &str| {
            let args: Vec<&str> = command.split_whitespace().collect();
            crate::openssl_in(dir, &args);
        };
        openssl(
            "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
             -out ca.pem -days 2 -subj /CN=kakunin-test-TLS-CA \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
        );
        openssl(&format!("{server_key} server.key"));
        openssl("req -new -key server.key -subj /CN=127.0.0.1 -out server.csr");
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1\n\
             extendedKeyUsage=serverAuth\n\
             keyUsage=critical,digitalSignature,keyEncipherment\n",
        )
        .expect("write ext.cnf");
        openssl(
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 \
             -extfile ext.cnf -out server.pem",
        );
        // What a deployment serves: the server's certificate, then the CA.
        let t = TlsFiles {
            dir: dir.to_path_buf(),
        };
        let chain = [
            std::fs::read(t.path("server.pem")).expect("server.pem"),
            std::fs::read(t.ca()).expect("ca.pem"),
        ]
        .concat();
        std::fs::write(t.path("chain.pem"), chain).expect("write chain.pem");
        t
    }

    /// A file of the set: `ca.pem`, `ca.key`, `server.pem`, `server.key`,
    /// `chain.pem` (server, then CA).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The CA certificate clients trust.
    pub fn ca(&self) -> PathBuf {
        self.path("ca.pem")
    }
}
