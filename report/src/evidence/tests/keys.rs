//! Key files: what loads, what is refused and how the refusal reads.

use std::path::{Path, PathBuf};

use super::super::*;

/// A private key kept in a PEM file, to load again after a writer took
/// the last one.
pub(crate) struct TestKey {
    pub(crate) path: PathBuf,
    pub(crate) public: EvidencePublicKey,
}

impl TestKey {
    pub(crate) fn new(dir: &Path) -> TestKey {
        let (k, pem) = EvidenceKey::generate().unwrap();
        let path = dir.join(format!("key-{}.pem", &k.key_id()[..8]));
        std::fs::write(&path, pem).unwrap();
        TestKey {
            path,
            public: k.public_key().clone(),
        }
    }

    pub(crate) fn load(&self) -> EvidenceKey {
        EvidenceKey::from_pem_file(&self.path).unwrap()
    }
}

#[test]
fn a_key_and_its_public_half_load_from_pem_with_one_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let tk = TestKey::new(dir.path());
    let k = tk.load();
    assert_eq!(k.key_id(), tk.public.key_id());
    assert_eq!(k.key_id().len(), 64);
    let public_pem = dir.path().join("pub.pem");
    std::fs::write(&public_pem, k.public_key_pem()).unwrap();
    assert!(k
        .public_key_pem()
        .starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(
        EvidencePublicKey::from_pem_file(&public_pem).unwrap(),
        tk.public
    );
    // The private key file also gives the public half.
    assert_eq!(
        EvidencePublicKey::from_pem_file(&tk.path).unwrap(),
        tk.public
    );
    // The Debug form never shows the private key.
    assert_eq!(format!("{k:?}"), format!("EvidenceKey({})", k.key_id()));
}

#[test]
fn unusable_key_files_are_refused_saying_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let tk = TestKey::new(dir.path());
    let k = tk.load();
    let public_pem = dir.path().join("pub.pem");
    std::fs::write(&public_pem, k.public_key_pem()).unwrap();
    let missing = dir.path().join("missing.pem");
    let text = dir.path().join("text.pem");
    std::fs::write(&text, "hello\n").unwrap();
    let cut = dir.path().join("cut.pem");
    std::fs::write(&cut, "-----BEGIN PRIVATE KEY-----\nAAAA\n").unwrap();
    let encrypted = dir.path().join("enc.pem");
    std::fs::write(
        &encrypted,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .unwrap();
    let rsa = dir.path().join("rsa.pem");
    std::fs::write(
        &rsa,
        "-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    for (path, needle) in [
        (&missing, "cannot read evidence key"),
        (
            &text,
            "expected a PEM PRIVATE KEY or EC PRIVATE KEY, found no PEM block",
        ),
        (&cut, "has no -----END PRIVATE KEY----- line"),
        (&encrypted, "the private key is encrypted"),
        (&rsa, "expected an EC P-256 private key"),
        (&public_pem, "found PUBLIC KEY"),
    ] {
        let e = EvidenceKey::from_pem_file(path).unwrap_err().to_string();
        assert!(
            e.contains(needle) && e.contains(&path.display().to_string()),
            "{}: {e}",
            path.display()
        );
    }
    let e = EvidencePublicKey::from_pem_file(&text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("expected a PEM PUBLIC KEY (or the private key)"),
        "{e}"
    );
}
