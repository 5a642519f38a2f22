//! The one mapping from a verification [`Status`] to the words every
//! output uses: `kakunin verify` lines, `POST /v1/verify`, card logins and
//! evidence records all read a verdict through [`StatusParts::of`], so a
//! revoked intermediate or an unknown CRL is described the same way
//! everywhere.

use kakunin_engine::verify::Status;
use kakunin_engine::{RevocationReason, Timestamp};
use serde::Serialize;

/// The four results of verification, as typed values (`valid`, `revoked`,
/// `invalid`, `unknown` in JSON). Callers decide validity by comparing this,
/// never the printed word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CertStatus {
    /// Valid at the validation time.
    Valid,
    /// Revoked (with reason and time).
    Revoked,
    /// Invalid for another reason (see the detail).
    Invalid,
    /// No fresh revocation information: fail closed, never valid.
    Unknown,
}

impl CertStatus {
    /// `valid`, `revoked`, `invalid` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Valid => "valid",
            CertStatus::Revoked => "revoked",
            CertStatus::Invalid => "invalid",
            CertStatus::Unknown => "unknown",
        }
    }

    /// Whether this is [`CertStatus::Valid`].
    pub fn is_valid(self) -> bool {
        self == CertStatus::Valid
    }
}

/// A [`Status`] taken apart into the fields of an output line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusParts {
    /// The result.
    pub status: CertStatus,
    /// The reasonCode, when revoked with one.
    pub reason: Option<RevocationReason>,
    /// The revocationDate, when revoked.
    pub revoked_at: Option<Timestamp>,
    /// Which certificate of the path is revoked (0 = the leaf), when revoked.
    pub revoked_depth: Option<usize>,
    /// Why, for anything but a valid or revoked leaf: the failed check and
    /// its detail, what revocation data was missing, or which CA
    /// certificate of the path is revoked.
    pub detail: Option<String>,
}

impl StatusParts {
    /// The parts of `status`.
    pub fn of(status: &Status) -> StatusParts {
        let plain = |status, detail| StatusParts {
            status,
            reason: None,
            revoked_at: None,
            revoked_depth: None,
            detail,
        };
        match status {
            Status::Valid => plain(CertStatus::Valid, None),
            Status::Revoked {
                reason,
                revoked_at,
                depth,
            } => StatusParts {
                status: CertStatus::Revoked,
                reason: *reason,
                revoked_at: Some(*revoked_at),
                revoked_depth: Some(*depth),
                detail: (*depth > 0)
                    .then(|| format!("certificate at depth {depth} of the path is revoked")),
            },
            Status::Invalid { check, detail } => {
                plain(CertStatus::Invalid, Some(format!("{check}: {detail}")))
            }
            Status::Unknown { detail } => plain(CertStatus::Unknown, Some(detail.clone())),
        }
    }

    /// The reason's RFC 5280 name (`keyCompromise`, …), when there is one.
    pub fn reason_name(&self) -> Option<&'static str> {
        self.reason.map(RevocationReason::name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_engine::verify::Check;

    #[test]
    fn every_status_maps_to_its_word_and_fields() {
        let at = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap();
        let v = StatusParts::of(&Status::Valid);
        assert_eq!((v.status, v.detail), (CertStatus::Valid, None));
        assert!(CertStatus::Valid.is_valid());
        let leaf = StatusParts::of(&Status::Revoked {
            reason: Some(RevocationReason::KeyCompromise),
            revoked_at: at,
            depth: 0,
        });
        assert_eq!(leaf.status, CertStatus::Revoked);
        assert_eq!(leaf.reason_name(), Some("keyCompromise"));
        assert_eq!(leaf.revoked_at, Some(at));
        assert_eq!(leaf.detail, None);
        let ca = StatusParts::of(&Status::Revoked {
            reason: None,
            revoked_at: at,
            depth: 1,
        });
        assert_eq!(ca.revoked_depth, Some(1));
        assert_eq!(
            ca.detail.as_deref(),
            Some("certificate at depth 1 of the path is revoked")
        );
        let bad = StatusParts::of(&Status::Invalid {
            check: Check::Expired,
            detail: "expired".into(),
        });
        assert_eq!(bad.status, CertStatus::Invalid);
        assert!(bad.detail.unwrap().ends_with(": expired"));
        let unk = StatusParts::of(&Status::Unknown {
            detail: "no CRL".into(),
        });
        assert_eq!(
            (unk.status, unk.detail.as_deref()),
            (CertStatus::Unknown, Some("no CRL"))
        );
        for (s, w) in [
            (CertStatus::Valid, "\"valid\""),
            (CertStatus::Revoked, "\"revoked\""),
            (CertStatus::Invalid, "\"invalid\""),
            (CertStatus::Unknown, "\"unknown\""),
        ] {
            assert_eq!(serde_json::to_string(&s).unwrap(), w);
            assert_eq!(format!("\"{}\"", s.as_str()), w);
        }
    }
}
