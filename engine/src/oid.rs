//! Object identifiers, as the content octets of their DER `OBJECT
//! IDENTIFIER` (what [`crate::der::Reader`] hands back), so that matching
//! an extension or algorithm is a byte comparison. One table for the whole
//! engine: certificates, CRLs and algorithm identifiers name the same
//! extensions.

// --- Certificate and CRL extensions (RFC 5280 §4.2, §5.2, §5.3) -----------

/// subjectKeyIdentifier (§4.2.1.2).
pub(crate) const SKI: &[u8] = &[0x55, 0x1D, 0x0E];
/// keyUsage (§4.2.1.3).
pub(crate) const KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x0F];
/// subjectAltName (§4.2.1.6).
pub(crate) const SAN: &[u8] = &[0x55, 0x1D, 0x11];
/// issuerAltName (§4.2.1.7, §5.2.2).
pub(crate) const IAN: &[u8] = &[0x55, 0x1D, 0x12];
/// basicConstraints (§4.2.1.9).
pub(crate) const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x13];
/// cRLNumber (§5.2.3).
pub(crate) const CRL_NUMBER: &[u8] = &[0x55, 0x1D, 0x14];
/// reasonCode (§5.3.1).
pub(crate) const REASON_CODE: &[u8] = &[0x55, 0x1D, 0x15];
/// invalidityDate (§5.3.2).
pub(crate) const INVALIDITY_DATE: &[u8] = &[0x55, 0x1D, 0x18];
/// deltaCRLIndicator (§5.2.4).
pub(crate) const DELTA_CRL_INDICATOR: &[u8] = &[0x55, 0x1D, 0x1B];
/// issuingDistributionPoint (§5.2.5).
pub(crate) const ISSUING_DP: &[u8] = &[0x55, 0x1D, 0x1C];
/// certificateIssuer (§5.3.3).
pub(crate) const CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1D, 0x1D];
/// nameConstraints (§4.2.1.10).
pub(crate) const NAME_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x1E];
/// cRLDistributionPoints (§4.2.1.13).
pub(crate) const CRL_DP: &[u8] = &[0x55, 0x1D, 0x1F];
/// certificatePolicies (§4.2.1.4).
pub(crate) const POLICIES: &[u8] = &[0x55, 0x1D, 0x20];
/// policyMappings (§4.2.1.5).
pub(crate) const POLICY_MAPPINGS: &[u8] = &[0x55, 0x1D, 0x21];
/// authorityKeyIdentifier (§4.2.1.1, §5.2.1).
pub(crate) const AKI: &[u8] = &[0x55, 0x1D, 0x23];
/// policyConstraints (§4.2.1.11).
pub(crate) const POLICY_CONSTRAINTS: &[u8] = &[0x55, 0x1D, 0x24];
/// extKeyUsage (§4.2.1.12).
pub(crate) const EXT_KEY_USAGE: &[u8] = &[0x55, 0x1D, 0x25];
/// freshestCRL (§4.2.1.15, §5.2.6).
pub(crate) const FRESHEST_CRL: &[u8] = &[0x55, 0x1D, 0x2E];
/// inhibitAnyPolicy (§4.2.1.14).
pub(crate) const INHIBIT_ANY_POLICY: &[u8] = &[0x55, 0x1D, 0x36];
/// authorityInfoAccess (§4.2.2.1, §5.2.7).
pub(crate) const AIA: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];

// --- Algorithms (RFC 4055, RFC 5758, RFC 8410, RFC 5480) ------------------

/// pkcs-1 arc: the PKCS#1 signature algorithms are its children.
pub(crate) const PKCS1_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
/// rsaEncryption (SubjectPublicKeyInfo algorithm).
pub(crate) const RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// id-RSASSA-PSS.
pub(crate) const RSASSA_PSS: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
/// id-mgf1.
pub(crate) const MGF1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];
/// ecdsa-with-SHA256.
pub(crate) const ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
/// ecdsa-with-SHA384.
pub(crate) const ECDSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
/// id-ecPublicKey.
pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// secp256r1.
pub(crate) const P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// secp384r1.
pub(crate) const P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
/// id-Ed25519.
pub(crate) const ED25519: &[u8] = &[0x2B, 0x65, 0x70];
/// id-sha256.
pub(crate) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// id-sha384.
pub(crate) const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
/// id-sha512.
pub(crate) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
