//! CRL reason codes (RFC 5280 §5.3.1).

use std::fmt;
use std::ops::{BitAnd, BitOr};

/// Why a certificate was revoked. Code 7 is unused by RFC 5280, so it has
/// no variant: an entry carrying it is malformed.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[repr(u8)]
pub enum RevocationReason {
    /// unspecified (0)
    Unspecified = 0,
    /// keyCompromise (1)
    KeyCompromise = 1,
    /// cACompromise (2)
    CaCompromise = 2,
    /// affiliationChanged (3): in JPKI, the card's facts changed.
    AffiliationChanged = 3,
    /// superseded (4): in JPKI, the certificate was renewed.
    Superseded = 4,
    /// cessationOfOperation (5)
    CessationOfOperation = 5,
    /// certificateHold (6): never released in JPKI.
    CertificateHold = 6,
    /// removeFromCRL (8): only meaningful in delta CRLs.
    RemoveFromCrl = 8,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn = 9,
    /// aACompromise (10)
    AaCompromise = 10,
}

impl RevocationReason {
    /// All reasons, in code order.
    pub const ALL: [RevocationReason; 10] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::CertificateHold,
        RevocationReason::RemoveFromCrl,
        RevocationReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise,
    ];

    /// The reason for a CRLReason ENUMERATED value, or `None` for an unknown
    /// code.
    pub fn from_code(code: u8) -> Option<RevocationReason> {
        RevocationReason::ALL.into_iter().find(|r| *r as u8 == code)
    }

    /// The ENUMERATED value.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The RFC 5280 name, e.g. `keyCompromise`.
    pub fn name(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "keyCompromise",
            RevocationReason::CaCompromise => "cACompromise",
            RevocationReason::AffiliationChanged => "affiliationChanged",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessationOfOperation",
            RevocationReason::CertificateHold => "certificateHold",
            RevocationReason::RemoveFromCrl => "removeFromCRL",
            RevocationReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            RevocationReason::AaCompromise => "aACompromise",
        }
    }

    /// Looks a reason up by its RFC 5280 name (case-insensitive).
    pub fn from_name(name: &str) -> Option<RevocationReason> {
        RevocationReason::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// ReasonFlags (RFC 5280 §4.2.1.13): a set of revocation reasons, as an
/// issuingDistributionPoint's onlySomeReasons and a distribution point's
/// reasons carry it. Bit n (`1 << n`) is named bit n: 1 keyCompromise …
/// 8 aACompromise (bit 0 is unused).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct ReasonFlags(u16);

impl ReasonFlags {
    /// Every reason a CRL can be limited to (bits 1–8): what a CRL without
    /// onlySomeReasons covers.
    pub const ALL: ReasonFlags = ReasonFlags(0x1FE);
    /// No reason.
    pub const NONE: ReasonFlags = ReasonFlags(0);

    /// From the mask of named bits (`1 << n` for bit n).
    pub const fn from_bits(bits: u16) -> ReasonFlags {
        ReasonFlags(bits)
    }

    /// Decoded from a BIT STRING's content bits (as
    /// [`crate::der::bit_string`] returns them).
    pub(crate) fn from_der_bits(bits: &[u8]) -> ReasonFlags {
        ReasonFlags(crate::der::named_bits(bits))
    }

    /// The mask of named bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// True when every reason of [`ReasonFlags::ALL`] is in the set.
    pub fn covers_all(self) -> bool {
        self.0 & Self::ALL.0 == Self::ALL.0
    }
}

impl BitOr for ReasonFlags {
    type Output = ReasonFlags;
    fn bitor(self, rhs: ReasonFlags) -> ReasonFlags {
        ReasonFlags(self.0 | rhs.0)
    }
}

impl BitAnd for ReasonFlags {
    type Output = ReasonFlags;
    fn bitand(self, rhs: ReasonFlags) -> ReasonFlags {
        ReasonFlags(self.0 & rhs.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_round_trip() {
        for r in RevocationReason::ALL {
            assert_eq!(RevocationReason::from_code(r.code()), Some(r));
            assert_eq!(RevocationReason::from_name(r.name()), Some(r));
        }
        assert_eq!(RevocationReason::from_code(7), None);
        assert_eq!(RevocationReason::from_code(11), None);
    }
}
