//! Document signing through `Server` (docs/signing.md): transactions
//! registered with a client-credentials token, approved with OpenSSL as
//! the card (the signing key signs each DigestInfo), checked by the
//! operator, fetched with the login's token, and the evidence chain they
//! leave checked by the report crate's verifier with the public key.
//! The same flow through pcscd, the virtual card and an independent RP
//! library is tools/tests/cli/oidc_rp.rs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use kakunin_engine::docsig::{DigestAlgorithm, DigestInfo};
use kakunin_report::evidence::{verify_chain, EvidencePublicKey};
use kakunin_server::{OidcConfig, SigningConfig};
use kakunin_testkit::path_str as s;
use serde_json::{json, Value};

use crate::common::{data, today_pki as pki};
use crate::op::{
    authorize_query, header, location_params, op_with, param, registry_with, split_headers, Op,
};

const FACTS: &str = "\"name\", \"address\", \"birthdate\", \"gender\"";

/// A provider with signing on: clients `rp1` (facts allowed), `rp2` (no
/// fact scopes) and `rp3` (an encryption key: results as JWE); the
/// evidence log in the test's directory.
fn signing_op(lifetime: Duration) -> Option<Op> {
    let rp3 = registry_with("rp3", FACTS)
        .replace(s(&data("oidc/demo-rp.jwks.json")), s(&encrypting_jwks()));
    let clients = format!(
        "{}\n{}\n{rp3}",
        registry_with("rp1", FACTS),
        registry_with("rp2", "\"name\"")
    );
    op_with(
        10_000,
        OidcConfig::MAX_PENDING_LIFETIME,
        OidcConfig::MAX_CODE_LIFETIME,
        &clients,
        |dir| {
            let mut c = SigningConfig::new(evidence_path(dir), data("oidc/evidence.key"));
            c.transaction_lifetime = lifetime;
            Some(c)
        },
    )
}

/// The demo RP's signature key and an RSA-2048 encryption key (`use`
/// `enc`, RSA-OAEP-256, by `openssl genpkey`), as one JWKS file.
fn encrypting_jwks() -> PathBuf {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = kakunin_testkit::tempdir();
        let key = dir.path().join("enc.pem");
        kakunin_testkit::rsa_key(&key);
        let mut jwks: Value = serde_json::from_str(
            &std::fs::read_to_string(data("oidc/demo-rp.jwks.json")).expect("demo JWKS"),
        )
        .expect("JSON");
        let mut enc = kakunin_testkit::jwk::public_jwk(&key, "rp3-enc");
        enc["use"] = json!("enc");
        enc["alg"] = json!("RSA-OAEP-256");
        jwks["keys"].as_array_mut().expect("keys").push(enc);
        kakunin_testkit::write(&dir.path().join("jwks.json"), jwks.to_string());
        dir
    });
    dir.path().join("jwks.json")
}

fn evidence_path(dir: &Path) -> PathBuf {
    dir.join("evidence.jsonl")
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    kakunin_engine::crypto::sha256(bytes).to_vec()
}

/// Three documents: two SHA-256 digests and one SHA-512 DigestInfo.
fn three_documents() -> (Value, Vec<DigestInfo>) {
    let a = sha256("契約書 第1版".as_bytes());
    let b = sha256("<xml>申請</xml>".as_bytes());
    let c = DigestInfo::new(DigestAlgorithm::Sha512, &[0x5A; 64]).expect("SHA-512");
    let body = json!({"documents": [
        {"label": "契約書.pdf", "digest": B64.encode(&a)},
        {"label": "申請書.xml", "digest": B64.encode(&b)},
        {"label": "J-LIS 提出", "digest_info": B64.encode(c.as_der())},
    ], "facts": true});
    let dis = vec![
        DigestInfo::new(DigestAlgorithm::Sha256, &a).expect("a"),
        DigestInfo::new(DigestAlgorithm::Sha256, &b).expect("b"),
        c,
    ];
    (body, dis)
}

/// OpenSSL's name of a DigestInfo's hash: `pkeyutl -pkeyopt digest:NAME`
/// signs (and verifies) PKCS#1 v1.5 over that hash's DigestInfo.
fn md(di: &DigestInfo) -> &'static str {
    match di.algorithm() {
        DigestAlgorithm::Sha256 => "sha256",
        DigestAlgorithm::Sha384 => "sha384",
        _ => "sha512",
    }
}

impl Op {
    fn bearer(token: &str) -> String {
        format!("Authorization: Bearer {token}")
    }

    fn cc_token(&self, client_id: &str) -> String {
        let (code, v) = self.client_token(client_id, "sign");
        assert_eq!(code, 200, "{v}");
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    fn register(&self, token: &str, body: &Value) -> (u16, Value) {
        self.srv.get_json(
            "/v1/sign-transactions",
            &[
                "-H",
                &Op::bearer(token),
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                &body.to_string(),
            ],
        )
    }

    fn tx_state(&self, token: &str, id: &str) -> (u16, Value) {
        self.srv.get_json(
            &format!("/v1/sign-transactions/{id}"),
            &["-H", &Op::bearer(token)],
        )
    }

    /// `/authorize` for `client_id` with `scope=openid sign` and the
    /// transaction: (status, headers, body).
    fn authorize_signing(&self, client_id: &str, id: &str) -> (u16, Vec<(String, String)>, String) {
        let url = format!(
            "{}&sign_transaction_id={id}",
            authorize_query(client_id, "openid sign")
        );
        let (code, text) = self.srv.curl(
            &url,
            &[
                "-D",
                "-",
                "-H",
                "Accept: application/json",
                "-b",
                s(&self.jar),
                "-c",
                s(&self.jar),
            ],
        );
        let (headers, body) = split_headers(&text);
        (code, headers, body)
    }

    /// The card front end's post for holder `holder`: the login
    /// signatures and each DigestInfo signed with the signing key by
    /// `openssl pkeyutl` (PKCS#1 v1.5 over the DigestInfo, as the card).
    fn card_signs(&self, pairing: &str, holder: u32, dis: &[DigestInfo]) -> Value {
        let mut body = self.signed_by(pairing, holder, &self.srv.url(""), true);
        let key = pki().join(format!("holders/{holder}/sign.key"));
        let sigs: Vec<String> = dis
            .iter()
            .enumerate()
            .map(|(i, di)| {
                let f = self.dir.path().join(format!("digest-{i}"));
                kakunin_testkit::write(&f, di.digest());
                B64.encode(kakunin_testkit::openssl(&[
                    "pkeyutl",
                    "-sign",
                    "-inkey",
                    s(&key),
                    "-in",
                    s(&f),
                    "-pkeyopt",
                    &format!("digest:{}", md(di)),
                ]))
            })
            .collect();
        body["document_signatures"] = json!(sigs);
        body
    }

    /// The browser's redirect after approval: the code.
    fn code_after_approval(&self, pairing: &str) -> String {
        let (code, headers, _) = self.wait_page(pairing, true);
        assert_eq!(code, 303);
        let location = header(&headers, "location").expect("Location").to_string();
        let params = location_params(&location);
        param(&params, "code").expect("code").to_string()
    }

    fn evidence_lines(&self) -> Vec<Value> {
        std::fs::read_to_string(evidence_path(self.dir.path()))
            .expect("evidence file")
            .lines()
            .map(|l| serde_json::from_str(l).expect("evidence line"))
            .collect()
    }

    fn record_of(&self, id: &str) -> Value {
        self.evidence_lines()
            .into_iter()
            .find(|e| e["kind"] == "sign_transaction" && e["record"]["id"] == id)
            .unwrap_or_else(|| panic!("no evidence record for {id}"))
    }

    /// The whole evidence chain verifies with the public key.
    fn chain_verifies(&self) {
        let key = EvidencePublicKey::from_pem_file(&data("oidc/evidence.pub")).expect("pub key");
        let report = verify_chain(&[evidence_path(self.dir.path())], &[key]).expect("read");
        assert!(report.intact(), "{report:?}");
    }
}

/// Registers three documents, approves them, redeems the code and
/// fetches the result; returns (op, id, access token, result).
fn signed_transaction() -> Option<(Op, String, String, Value, Vec<DigestInfo>)> {
    let op = signing_op(SigningConfig::DEFAULT_TRANSACTION_LIFETIME)?;
    let (id, access, dis) = approved(&op, "rp1");
    let (code, result) = op.srv.get_json(
        &format!("/v1/sign-transactions/{id}/result"),
        &["-H", &Op::bearer(&access)],
    );
    assert_eq!(code, 200, "{result}");
    Some((op, id, access, result, dis))
}

/// A transaction of `client_id` registered, approved by holder 1 and its
/// code redeemed: (id, the login's access token, the DigestInfos).
fn approved(op: &Op, client_id: &str) -> (String, String, Vec<DigestInfo>) {
    let token = op.cc_token(client_id);
    let (body, dis) = three_documents();
    let (code, reg) = op.register(&token, &body);
    assert_eq!(code, 201, "{reg}");
    let id = reg["sign_transaction_id"].as_str().expect("id").to_string();
    assert_eq!(reg["documents"], 3);
    assert_eq!(op.tx_state(&token, &id).1["status"], "open");

    let (code, _, asked) = op.authorize_signing(client_id, &id);
    assert_eq!(code, 200, "{asked}");
    let asked: Value = serde_json::from_str(&asked).expect("JSON");
    let pairing = Op::pairing(&asked);
    let (code, shown) = op.show(&pairing);
    assert_eq!(code, 200, "{shown}");
    assert_eq!(shown["needs_signing_certificate"], true);
    let docs = shown["documents"].as_array().expect("documents");
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0]["label"], "契約書.pdf");
    assert_eq!(docs[2]["algorithm"], "SHA-512");
    assert_eq!(docs[2]["digest_info"], B64.encode(dis[2].as_der()));

    let body = op.card_signs(&pairing, 1, &dis);
    let (code, answer) = op.post_approval(&pairing, &body);
    assert_eq!((code, &answer["accepted"]), (200, &json!(true)), "{answer}");
    let (code, tokens) = op.token_for(client_id, &op.code_after_approval(&pairing));
    assert_eq!(code, 200, "{tokens}");
    let access = tokens["access_token"].as_str().expect("token").to_string();
    (id, access, dis)
}

#[test]
fn a_transaction_is_signed_checked_recorded_and_fetched() {
    let Some((op, id, _, result, dis)) = signed_transaction() else {
        return;
    };
    assert_eq!(result["status"], "signed");
    assert_eq!(result["sign_transaction_id"], id.as_str());
    assert_eq!(result["verification"]["status"], "valid");
    assert!(result["verification"]["crl_number"].is_string(), "{result}");
    // Each signature verifies with OpenSSL against the certificate's key,
    // over its DigestInfo, and over no other.
    let cert = B64
        .decode(result["certificate"].as_str().expect("cert"))
        .expect("b64");
    let dir = op.dir.path();
    kakunin_testkit::write(&dir.join("cert.der"), &cert);
    let pubkey = kakunin_testkit::openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        s(&dir.join("cert.der")),
        "-pubkey",
        "-noout",
    ]);
    kakunin_testkit::write(&dir.join("pub.pem"), &pubkey);
    for (i, (doc, di)) in result["documents"]
        .as_array()
        .expect("docs")
        .iter()
        .zip(&dis)
        .enumerate()
    {
        assert_eq!(doc["digest"], B64.encode(di.digest()));
        let sig = B64
            .decode(doc["signature"].as_str().expect("sig"))
            .expect("b64");
        let (sigf, dif) = (dir.join(format!("s{i}")), dir.join(format!("d{i}")));
        kakunin_testkit::write(&sigf, &sig);
        kakunin_testkit::write(&dif, di.digest());
        let digest = format!("digest:{}", md(di));
        let out = kakunin_testkit::openssl(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            s(&dir.join("pub.pem")),
            "-in",
            s(&dif),
            "-sigfile",
            s(&sigf),
            "-pkeyopt",
            &digest,
        ]);
        assert!(String::from_utf8_lossy(&out).contains("Signature Verified Successfully"));
    }
    // The facts are the holder's.
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(pki().join("holders/1/facts.json")).expect("facts.json"),
    )
    .expect("JSON");
    assert_eq!(result["facts"]["name"], facts["name"]);
    assert_eq!(result["facts"]["address"]["formatted"], facts["address"]);
    // The evidence: one record, the same signatures, sealed and chained.
    let record = op.record_of(&id);
    assert_eq!(record["record"]["status"], "signed");
    assert_eq!(record["record"]["client_id"], "rp1");
    assert_eq!(record["record"]["documents"], result["documents"]);
    let line = std::fs::read_to_string(evidence_path(dir)).expect("evidence");
    let hash = line
        .lines()
        .find(|l| l.contains(&id))
        .map(|l| hex::encode(kakunin_engine::crypto::sha256(l.as_bytes())))
        .expect("line");
    assert_eq!(result["evidence_id"], hash.as_str());
    assert!(
        !line.contains("JPKI2026"),
        "no signing password in evidence"
    );
    op.chain_verifies();
}

#[test]
fn results_go_only_to_the_login_that_approved_them() {
    let Some((op, id, access, _, _)) = signed_transaction() else {
        return;
    };
    let result = |token: Option<&str>| {
        let h = token.map(Op::bearer);
        let mut args = vec!["-D", "-"];
        if let Some(h) = &h {
            args.extend(["-H", h.as_str()]);
        }
        let (code, text) = op
            .srv
            .curl(&format!("/v1/sign-transactions/{id}/result"), &args);
        (code, split_headers(&text))
    };
    let (code, (headers, _)) = result(None);
    assert_eq!(code, 401);
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    // The client's own client-credentials token is not the login's.
    let cc = op.cc_token("rp1");
    let (code, (headers, body)) = result(Some(&cc));
    assert_eq!(code, 403, "{body}");
    assert!(header(&headers, "www-authenticate").is_some_and(|h| h.contains("insufficient_scope")));
    // Another login's token: an ordinary login of the same client.
    let pairing = Op::pairing(&op.authorize("openid"));
    op.approve(&pairing, 3, false);
    let (_, tokens) = op.token(&op.code_after_approval(&pairing));
    let other = tokens["access_token"].as_str().expect("token");
    let (code, (_, body)) = result(Some(other));
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("another"), "{body}");
    // The right one, again (within its lifetime).
    assert_eq!(result(Some(&access)).0, 200);
    // A token not ours.
    assert_eq!(result(Some("eyJhbGciOiJub25lIn0.e30.")).0, 401);
}

#[test]
fn registrations_that_cannot_be_signed_are_refused_by_name() {
    let Some(op) = signing_op(SigningConfig::DEFAULT_TRANSACTION_LIFETIME) else {
        return;
    };
    let token = op.cc_token("rp1");
    let doc = |d: &[u8]| json!({"label": "a", "digest": B64.encode(d)});
    let mut sha1 = hex::decode("3021300906052b0e03021a05000414").expect("hex");
    sha1.extend([0u8; 20]);
    let cases = [
        (
            json!({"documents": [doc(&[1; 31])]}),
            "documents[0]: digest: expected a SHA-256 digest of 32 bytes, found 31 bytes",
        ),
        (
            json!({"documents": vec![doc(&[1; 32]); 17]}),
            "expected 1 to 16 documents, found 17",
        ),
        (
            json!({"documents": [{"label": "長".repeat(201), "digest": B64.encode([1; 32])}]}),
            "at most 200 characters, found 201",
        ),
        (
            json!({"documents": [{"label": "a", "digest_info": B64.encode(&sha1)}]}),
            "found SHA-1",
        ),
        (json!({"documents": []}), "found 0"),
    ];
    for (body, want) in cases {
        let (code, v) = op.register(&token, &body);
        assert_eq!(code, 400, "{body}: {v}");
        assert!(
            v["detail"].as_str().is_some_and(|d| d.contains(want)),
            "{want}: {v}"
        );
    }
    // rp2 may not ask for the facts.
    let (code, v) = op.register(
        &op.cc_token("rp2"),
        &json!({"documents": [doc(&[1; 32])], "facts": true}),
    );
    assert_eq!(code, 400, "{v}");
    assert!(v["detail"]
        .as_str()
        .is_some_and(|d| d.contains("not registered for the four facts")));
    // Without a token, with a login's token.
    assert_eq!(
        op.srv
            .curl("/v1/sign-transactions", &["--data-binary", "{}"])
            .0,
        401
    );
    let pairing = Op::pairing(&op.authorize("openid"));
    op.approve(&pairing, 1, false);
    let (_, tokens) = op.token(&op.code_after_approval(&pairing));
    let login = tokens["access_token"].as_str().expect("token");
    let (code, v) = op.register(login, &json!({"documents": [doc(&[1; 32])]}));
    assert_eq!(code, 403, "{v}");
}

#[test]
fn another_clients_or_an_expired_transaction_cannot_be_approved() {
    let Some(op) = signing_op(Duration::from_secs(2)) else {
        return;
    };
    let (body, _) = three_documents();
    let (_, reg) = op.register(&op.cc_token("rp1"), &body);
    let id = reg["sign_transaction_id"].as_str().expect("id").to_string();
    // rp2 names rp1's transaction: back to rp2 with invalid_request.
    let (code, headers, _) = op.authorize_signing("rp2", &id);
    assert_eq!(code, 303);
    let params = location_params(header(&headers, "location").expect("Location"));
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert!(
        param(&params, "error_description").is_some_and(|d| d.contains("no such sign transaction"))
    );
    // rp2 cannot read its state either.
    assert_eq!(op.tx_state(&op.cc_token("rp2"), &id).0, 404);
    // Expired.
    std::thread::sleep(Duration::from_millis(2_100));
    let (code, headers, _) = op.authorize_signing("rp1", &id);
    assert_eq!(code, 303);
    let params = location_params(header(&headers, "location").expect("Location"));
    assert!(
        param(&params, "error_description").is_some_and(|d| d.contains("expired")),
        "{params:?}"
    );
    assert_eq!(op.tx_state(&op.cc_token("rp1"), &id).1["status"], "expired");
}

#[test]
fn a_bad_signature_or_a_revoked_certificate_ends_the_transaction_refused_with_evidence() {
    let Some(op) = signing_op(SigningConfig::DEFAULT_TRANSACTION_LIFETIME) else {
        return;
    };
    let token = op.cc_token("rp1");
    let approve_with = |holder: u32, tamper: bool| {
        let (body, mut dis) = three_documents();
        let (_, reg) = op.register(&token, &body);
        let id = reg["sign_transaction_id"].as_str().expect("id").to_string();
        let (_, _, asked) = op.authorize_signing("rp1", &id);
        let pairing = Op::pairing(&serde_json::from_str(&asked).expect("JSON"));
        if tamper {
            // The card signs another digest for the second document.
            dis[1] = DigestInfo::new(DigestAlgorithm::Sha256, &[0xEE; 32]).expect("di");
        }
        let body = op.card_signs(&pairing, holder, &dis);
        let (code, answer) = op.post_approval(&pairing, &body);
        assert_eq!(code, 200, "{answer}");
        assert_eq!(answer["accepted"], false, "{answer}");
        let (_, state) = op.tx_state(&token, &id);
        assert_eq!(state["status"], "refused", "{state}");
        (id, state, answer)
    };
    let (id, state, _) = approve_with(1, true);
    assert!(
        state["reason"]
            .as_str()
            .is_some_and(|r| r.contains("documents[1]") && r.contains("does not verify")),
        "{state}"
    );
    let record = op.record_of(&id);
    assert_eq!(record["record"]["status"], "refused");
    assert_eq!(record["record"]["reason"], state["reason"]);
    // Holder 2's certificates are revoked.
    let (id, state, answer) = approve_with(2, false);
    assert_eq!(answer["status"], "revoked", "{answer}");
    assert!(
        state["reason"]
            .as_str()
            .is_some_and(|r| r.contains("signing certificate is revoked")),
        "{state}"
    );
    let record = op.record_of(&id);
    assert_eq!(record["record"]["verification"]["status"], "revoked");
    assert!(
        record["record"]["documents"][0]["signature"].is_null(),
        "{record}"
    );
    op.chain_verifies();
}

#[test]
fn a_client_with_an_encryption_key_gets_its_result_as_a_jwe() {
    let Some(op) = signing_op(SigningConfig::DEFAULT_TRANSACTION_LIFETIME) else {
        return;
    };
    let (id, access, _) = approved(&op, "rp3");
    let (code, text) = op.srv.curl(
        &format!("/v1/sign-transactions/{id}/result"),
        &["-D", "-", "-H", &Op::bearer(&access)],
    );
    assert_eq!(code, 200, "{text}");
    let (headers, body) = split_headers(&text);
    assert_eq!(header(&headers, "content-type"), Some("application/jose"));
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    // Compact JWE: five parts, the header naming the client's key. Its
    // decryption by an independent library is tools/tests/cli/oidc_rp.rs
    // and oidc/tests/jwe_python.rs.
    let parts: Vec<&str> = body.trim().split('.').collect();
    assert_eq!(parts.len(), 5, "{body}");
    let header_json: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[0])
            .expect("base64url"),
    )
    .expect("JSON");
    assert_eq!(
        header_json,
        json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "rp3-enc", "cty": "JSON"})
    );
    assert!(!body.contains("signed"), "the result is not in clear");
}

#[test]
fn the_login_page_lists_the_documents_to_sign() {
    let Some(op) = signing_op(SigningConfig::DEFAULT_TRANSACTION_LIFETIME) else {
        return;
    };
    let (body, dis) = three_documents();
    let (_, reg) = op.register(&op.cc_token("rp1"), &body);
    let id = reg["sign_transaction_id"].as_str().expect("id");
    let url = format!(
        "{}&sign_transaction_id={id}",
        authorize_query("rp1", "openid sign")
    );
    let (code, page) = op.srv.curl(&url, &[]);
    assert_eq!(code, 200, "{page}");
    for (label, di) in ["契約書.pdf", "申請書.xml", "J-LIS 提出"].iter().zip(&dis) {
        let prefix = format!(
            "{} {}",
            di.algorithm().name(),
            hex::encode(&di.digest()[..8])
        );
        assert!(
            page.contains(label) && page.contains(&prefix),
            "{label} {prefix}: {page}"
        );
    }
    assert!(page.contains("Documents to sign") && page.contains("署名する文書"));
    // The facts asked with the result are named too.
    assert!(page.contains("氏名") && page.contains("住所"), "{page}");
}
