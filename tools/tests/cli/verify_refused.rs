//! `kakunin verify` with damaged sources among good ones: a forged CRL, an
//! intermediate whose signature does not verify, and a CRL of a CA nobody
//! configured. Each is refused once on stderr and never used; the other
//! certificates get exactly the answers they get without the bad sources;
//! the affected ones come out `unknown` or `invalid`, naming the refused
//! file; the exit code is 1, not 2. The PKI is made by `openssl ca`, and
//! `openssl verify -crl_check_all` judges the same files.

use std::path::{Path, PathBuf};

use kakunin_testkit::{
    cat, der_of, openssl_kind, openssl_verify, path_str, pem_of, pem_to_der, read, tempdir, write,
    Kind, Lab,
};

use crate::common::{json_lines, kakunin};

/// `der` with its last byte (inside the signature) flipped, as `dir/name`.
fn spoiled(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
    let mut bad = der.to_vec();
    if let Some(last) = bad.last_mut() {
        *last ^= 0x01;
    }
    let out = dir.join(name);
    write(&out, bad);
    out
}

/// `kakunin verify --at now` over `leaves`: (status, detail) per leaf, the
/// exit code and stderr.
fn verify(
    trust: &Path,
    inters: &[&Path],
    crls: &[&Path],
    leaves: &[&Path],
) -> (Vec<(String, String)>, i32, String) {
    let mut args = vec!["verify", "--quiet", "--trust", path_str(trust)];
    for i in inters {
        args.extend(["--intermediate", path_str(i)]);
    }
    for c in crls {
        args.extend(["--crl", path_str(c)]);
    }
    args.extend(leaves.iter().map(|l| path_str(l)));
    let out = kakunin(&args);
    let lines = json_lines(&out)
        .iter()
        .map(|j| {
            (
                j["status"].as_str().unwrap_or("").to_string(),
                j["detail"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (
        lines,
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_sources_are_refused_and_the_batch_goes_on() {
    let tmp = tempdir();
    let d = tmp.path();
    let mut lab = Lab::new(d, "");
    let root = lab.root("/C=JP/O=kakunin test/CN=Root", "root");
    let a = lab.sub_ca(&root, "/C=JP/O=kakunin test/CN=CA A", "inter", "");
    let b = lab.sub_ca(&root, "/C=JP/O=kakunin test/CN=CA B", "inter", "");
    let c = lab.sub_ca(&root, "/C=JP/O=kakunin test/CN=CA C", "inter", "");
    let a_good = lab.leaf(&a, "a-good", "leaf");
    let a_revoked = lab.leaf(&a, "a-revoked", "leaf");
    lab.revoke(&a, &a_revoked, "keyCompromise");
    let b_good = lab.leaf(&b, "b-good", "leaf");
    let c_good = lab.leaf(&c, "c-good", "leaf");
    let other = lab.root("/C=JP/O=elsewhere/CN=Other Root", "root");
    let root_crl = lab.crl(&root);
    let a_crl = lab.crl(&a);
    let b_crl = lab.crl(&b);
    let c_crl = lab.crl(&c);
    let other_crl = lab.crl(&other);

    // The damaged sources.
    let b_crl_der = d.join("b-crl.der");
    pem_to_der("crl", &b_crl, &b_crl_der);
    let forged_crl = spoiled(d, "forged-b.crl", &read(&b_crl_der));
    let bad_c = spoiled(d, "bad-signature-c.der", &der_of(&c.cert));

    // Without them: the answers the good certificates must keep.
    let (base, rc, _) = verify(
        &root.cert,
        &[a.cert.as_path()],
        &[root_crl.as_path(), a_crl.as_path()],
        &[a_good.as_path(), a_revoked.as_path()],
    );
    assert_eq!(rc, 1, "one revoked certificate");
    assert_eq!(
        (base[0].0.as_str(), base[1].0.as_str()),
        ("valid", "revoked")
    );

    let leaves = [&a_good, &a_revoked, &b_good, &c_good];
    let (got, rc, stderr) = verify(
        &root.cert,
        &[a.cert.as_path(), b.cert.as_path(), bad_c.as_path()],
        &[
            root_crl.as_path(),
            a_crl.as_path(),
            forged_crl.as_path(),
            c_crl.as_path(),
            other_crl.as_path(),
        ],
        &leaves.map(PathBuf::as_path),
    );
    assert_eq!(
        rc, 1,
        "a batch with refused sources exits 1, not 2: {stderr}"
    );
    assert_eq!(got.len(), 4, "one verdict per certificate: {stderr}");
    assert_eq!(got[0].0, base[0].0, "a-good keeps its answer: {}", got[0].1);
    assert_eq!(got[1], base[1], "a-revoked keeps its answer");
    assert_eq!(got[2].0, "unknown", "{}", got[2].1);
    assert!(got[2].1.contains(path_str(&forged_crl)), "{}", got[2].1);
    assert!(got[2].1.contains("signature"), "{}", got[2].1);
    assert_eq!(got[3].0, "invalid", "{}", got[3].1);
    assert!(got[3].1.contains(path_str(&bad_c)), "{}", got[3].1);
    for refused in [&forged_crl, &bad_c, &other_crl] {
        let lines = stderr
            .lines()
            .filter(|l| l.contains("refused") && l.contains(path_str(refused)))
            .count();
        assert_eq!(
            lines,
            1,
            "{} refused once on stderr: {stderr}",
            refused.display()
        );
    }

    // OpenSSL on the same files.
    let trust = &root.cert;
    let bad_c_pem = write_pem(d, "x509", "bad-c.pem", &bad_c);
    let untrusted = cat(d, "untrusted.pem", &[&a.cert, &b.cert, &bad_c_pem]);
    let forged_pem = write_pem(d, "crl", "forged-b.pem", &forged_crl);
    let crls = cat(
        d,
        "crls.pem",
        &[&root_crl, &a_crl, &forged_pem, &c_crl, &other_crl],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs() as i64)
        .unwrap_or(0);
    let oracle = |leaf: &Path| {
        let (ok, text) = openssl_verify(trust, Some(&untrusted), Some(&crls), &[], now, leaf);
        openssl_kind(ok, &text)
    };
    assert_eq!(oracle(&a_good), Kind::Valid);
    assert_eq!(oracle(&a_revoked), Kind::Revoked);
    assert_ne!(
        oracle(&b_good),
        Kind::Valid,
        "openssl refuses the forged CRL too"
    );
    assert_ne!(
        oracle(&c_good),
        Kind::Valid,
        "openssl refuses the bad intermediate too"
    );
}

/// A DER file as PEM at `dir/name`; `kind` is the openssl command that
/// reads it (`x509`, `crl`).
fn write_pem(dir: &Path, kind: &str, name: &str, der: &Path) -> PathBuf {
    let out = dir.join(name);
    write(&out, pem_of(kind, der));
    out
}
