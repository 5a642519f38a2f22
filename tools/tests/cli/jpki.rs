//! End to end: certificates from `kakunin gen` read back with
//! `kakunin_engine::jpki` (kind and basic facts, against each holder's
//! `facts.json`) and `kakunin_engine::docsig` (a document signed by the
//! holder's signing key with `openssl dgst`).

use std::path::Path;

use kakunin_engine::docsig::{verify_pkcs1_sha256, MessageRef};
use kakunin_engine::jpki::{basic_facts, classify, CertKind, Era};
use kakunin_gen::Options;
use kakunin_testkit::openssl_in;

use crate::common::{gen, start_of_today};

fn pem_certs(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .map(|p| p.unwrap())
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect()
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

#[test]
fn gen_holders_facts_and_signatures() {
    let dir = kakunin_testkit::tempdir();
    let d = dir.path();
    gen(
        d,
        &Options::new(start_of_today())
            .certs(30)
            .holders(12)
            .revoked(5)
            .seed(7),
    );

    for ca in ["sign-ca.pem", "auth-ca.pem", "ocsp.pem"] {
        for c in pem_certs(&d.join(ca)) {
            assert_eq!(classify(&c), CertKind::Other, "{ca}");
        }
    }
    let signs = pem_certs(&d.join("sign-certs.pem"));
    let auths = pem_certs(&d.join("auth-certs.pem"));
    assert_eq!((signs.len(), auths.len()), (30, 30));
    for c in &signs {
        assert_eq!(classify(c), CertKind::JpkiSigning);
        assert!(basic_facts(c).unwrap().is_some());
    }
    for c in &auths {
        assert_eq!(classify(c), CertKind::JpkiAuthentication);
        assert_eq!(basic_facts(c), Ok(None));
    }

    let mut kanji_seen = false;
    for n in 1..=12 {
        let h = d.join(format!("holders/{n}"));
        let facts: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(h.join("facts.json")).unwrap()).unwrap();
        let sign = pem_certs(&h.join("sign.pem")).remove(0);
        let auth = pem_certs(&h.join("auth.pem")).remove(0);
        assert_eq!(classify(&sign), CertKind::JpkiSigning);
        assert_eq!(classify(&auth), CertKind::JpkiAuthentication);
        assert_eq!(basic_facts(&auth), Ok(None));

        let f = basic_facts(&sign).unwrap().unwrap();
        assert_eq!(f.name.as_deref(), Some(s(&facts, "name")), "holder {n}");
        assert_eq!(f.name_alt.as_deref(), Some(s(&facts, "name_alt")));
        assert_eq!(f.sex.as_deref(), Some(s(&facts, "sex")));
        assert_eq!(f.birth_date.as_deref(), Some(s(&facts, "birth_date")));
        assert_eq!(f.address.as_deref(), Some(s(&facts, "address")));
        assert_eq!(f.address_alt.as_deref(), Some(s(&facts, "address_alt")));
        kanji_seen |= f.name.as_deref().is_some_and(|x| x.contains('\u{3000}'));
        assert!(f.sex_label().is_some());
        let bd = s(&facts, "birth_date");
        let iso = format!("{}-{}-{}", &bd[1..5], &bd[5..7], &bd[7..9]);
        assert_eq!(f.birth_date_iso.as_deref(), Some(iso.as_str()));
        let era = Era::from_digit(bd.as_bytes()[0]).unwrap();
        assert_eq!(f.era.as_deref(), Some(era.kanji()));

        // A document signed by the holder's signing key (the card's job).
        let doc = format!("holder {n} agrees\n");
        std::fs::write(h.join("doc.txt"), &doc).unwrap();
        let sig = openssl_in(&h, &["dgst", "-sha256", "-sign", "sign.key", "doc.txt"]);
        verify_pkcs1_sha256(&sign, &sig, MessageRef::Data(doc.as_bytes())).unwrap();
        // The authentication key is another key.
        assert!(verify_pkcs1_sha256(&auth, &sig, MessageRef::Data(doc.as_bytes())).is_err());
    }
    assert!(kanji_seen);
}
