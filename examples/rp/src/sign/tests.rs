//! The RP's own check of a result: a good signature passes, and each
//! thing a provider could get wrong (or forge) is named.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};

use super::*;

/// A key, a document, its result as the provider would give it, and the
/// certificate's key as the RP reads it.
fn signed(text: &str) -> (Document, SignResult, Certificate) {
    let key = KeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
    let mut signature = vec![0u8; key.public_modulus_len()];
    // Signing the text with SHA-256 is signing the DigestInfo of its digest.
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        text.as_bytes(),
        &mut signature,
    )
    .expect("signing");
    let document = Document::new("a.txt".into(), text);
    let result = SignResult {
        sign_transaction_id: "t".into(),
        status: "signed".into(),
        documents: vec![ResultDocument {
            label: "a.txt".into(),
            algorithm: "SHA-256".into(),
            digest: B64.encode(document.digest),
            signature: B64.encode(&signature),
        }],
        certificate: String::new(),
        verification: Verification {
            status: "valid".into(),
            detail: None,
            crl_number: None,
            checked_at: None,
        },
        facts: None,
        evidence_id: String::new(),
    };
    let cert = Certificate {
        subject: String::new(),
        issuer: String::new(),
        serial: String::new(),
        not_after: String::new(),
        public_key: key.public_key().as_ref().to_vec(),
    };
    (document, result, cert)
}

fn verdict(sent: &[Document], result: &SignResult, cert: &Certificate) -> Result<(), String> {
    let checked = check(sent, result, Some(cert));
    assert_eq!(checked.len(), result.documents.len());
    checked[0].verified.clone()
}

#[test]
fn a_good_signature_verifies_over_the_rps_digest() {
    let (doc, result, cert) = signed("I agree.");
    assert_eq!(verdict(&[doc], &result, &cert), Ok(()));
}

#[test]
fn a_changed_signature_is_refused() {
    let (doc, mut result, cert) = signed("I agree.");
    let mut sig = B64.decode(&result.documents[0].signature).unwrap();
    sig[10] ^= 1;
    result.documents[0].signature = B64.encode(sig);
    let why = verdict(&[doc], &result, &cert).unwrap_err();
    assert!(why.contains("does not verify"), "{why}");
}

#[test]
fn a_signature_over_another_document_is_refused() {
    let (_, result, cert) = signed("I agree.");
    // The provider echoes a digest; the RP checks over the one it sent.
    let ours = Document::new("a.txt".into(), "I do not agree.");
    let why = verdict(&[ours], &result, &cert).unwrap_err();
    assert!(why.contains("not the one this RP computed"), "{why}");
}

#[test]
fn another_key_is_refused() {
    let (doc, result, _) = signed("I agree.");
    let (_, _, other) = signed("I agree.");
    let why = verdict(&[doc], &result, &other).unwrap_err();
    assert!(why.contains("does not verify"), "{why}");
}

#[test]
fn labels_algorithms_and_counts_are_checked() {
    let (doc, mut result, cert) = signed("I agree.");
    result.documents[0].label = "b.txt".into();
    assert!(verdict(std::slice::from_ref(&doc), &result, &cert)
        .unwrap_err()
        .contains("label"));
    result.documents[0].label = "a.txt".into();
    result.documents[0].algorithm = "SHA-512".into();
    assert!(verdict(std::slice::from_ref(&doc), &result, &cert)
        .unwrap_err()
        .contains("SHA-512"));
    result.documents[0].algorithm = "SHA-256".into();
    let two = [doc, Document::new("c.txt".into(), "more")];
    assert!(verdict(&two, &result, &cert)
        .unwrap_err()
        .contains("1 documents, 2 were registered"));
}
