//! Revocation of one certificate of a path (RFC 5280 §6.3): which CRLs
//! may answer for it (issuer key, rolled-over and separate CRL-signing
//! keys, partitions, indirect CRLs, delta over base), and their answer.

use crate::index::IndexMeta;
use crate::name::names_match;
use crate::reason::ReasonFlags;
use crate::{RevocationReason, Serial, Timestamp};

use super::graph::{CaNode, Chain, ExtraSigner};
use super::sources::Source;
use super::{dp, time_check, RevocationSource, Verifier};

/// The certificate whose revocation status is looked up.
pub(super) struct Subject<'a> {
    pub(super) serial: &'a Serial,
    pub(super) is_ca: bool,
    /// A version 3 certificate.
    pub(super) v3: bool,
    /// Issuer DN.
    pub(super) issuer: &'a [u8],
    /// cRLDistributionPoints extnValue and the certificate's issuer DN.
    pub(super) crl_dp: Option<(&'a [u8], &'a [u8])>,
}

/// Outcome of revocation checking for one certificate.
pub(super) enum Rev {
    Good,
    Revoked(crate::index::Revocation),
    Unknown(String),
    /// Only from [`Verifier::revocation_by`]: the key has CRLs whose scope
    /// covers the certificate, and none is current at the time asked.
    Stale(String),
}

impl Verifier {
    /// RFC 5280 §6.3.3 for one certificate whose issuer is `issuer`.
    /// `signers` are the configured CAs (issuer first) whose CRLs are
    /// CRLs of that issuer: same name, certificate validated on the path.
    /// When the issuer key signs CRLs of its own, they alone decide: a
    /// stale or out-of-scope own CRL is `Unknown`, never overruled by
    /// another key's CRL. Other keys' CRLs (a rolled-over key on the path,
    /// a separate CRL-signing key) are consulted only when the issuer key
    /// has none — RFC 5280 would let a current CRL of another key decide
    /// even then, and OpenSSL does, but where CA generations share one DN
    /// (JPKI), another generation's CRL does not list this key's
    /// certificates, and "not listed there" must not become `valid`.
    ///
    /// `cert` was issued by `chain.nodes[k]`; `depth` is what evidence is
    /// filed under. When the path's own keys cannot decide and `extras`
    /// allows, a separate CRL-signing key of the issuer (§6.3.3 (f)) is
    /// tried, once its certificate is found valid and unrevoked at `at` —
    /// its revocation checked with the path's own keys only, so the
    /// recursion stops there.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn revocation(
        &self,
        chain: &Chain,
        k: usize,
        cert: &Subject<'_>,
        at: Timestamp,
        depth: usize,
        extras: bool,
        out: &mut Vec<RevocationSource>,
    ) -> Rev {
        let issuer = &self.nodes[chain.nodes[k]];
        let mut first = None;
        // Parsed once, and only if a partitioned CRL needs it.
        let mut dps = None;
        for &i in &chain.crl_signers[k] {
            match self.revocation_by(issuer, &self.nodes[i], cert, &mut dps, None, at, depth, out) {
                Rev::Stale(why) if i == chain.nodes[k] => {
                    return Rev::Unknown(format!(
                        "{why}; CRLs of the issuer's other keys do not stand in for its own"
                    ));
                }
                Rev::Unknown(why) | Rev::Stale(why) => {
                    first.get_or_insert(why);
                }
                decided => return decided,
            }
        }
        if !extras {
            return Rev::Unknown(
                first.unwrap_or_else(|| format!("no current CRL of {}", issuer.subject)),
            );
        }
        let mut signer_problem = None;
        for x in &chain.extra_signers[k] {
            let signer = &self.nodes[x.node];
            if let Err(why) = self.check_signer(chain, x, at, depth, out) {
                signer_problem.get_or_insert_with(|| {
                    format!(
                        "the CRLs of {} are signed by a separate key whose certificate (serial {}) {why}, so they do not count (RFC 5280 §6.3.3 (f))",
                        issuer.subject, signer.serial
                    )
                });
                continue;
            }
            match self.revocation_by(issuer, signer, cert, &mut dps, None, at, depth, out) {
                Rev::Unknown(why) | Rev::Stale(why) => {
                    first.get_or_insert(why);
                }
                decided => return decided,
            }
        }
        // §6.3.3 (b)(1): distribution points naming a cRLIssuer are served
        // by that issuer's indirect CRLs. Only CRL issuers on the path, or
        // certified by a CA of the path at or above the issuer (and then
        // validated here), count.
        let cert_dps = dps.get_or_insert_with(|| {
            cert.crl_dp
                .and_then(|(ext, issuer)| dp::cert_dps(ext, issuer).ok())
        });
        let crl_issuers: Vec<Vec<u8>> = cert_dps
            .iter()
            .flatten()
            .filter_map(|d| d.crl_issuer.clone())
            .filter(|d| !d.is_empty())
            .collect();
        if !crl_issuers.is_empty() {
            let named = |n: &CaNode| {
                n.ca.can_sign_crls()
                    && crl_issuers
                        .iter()
                        .any(|d| names_match(d, n.ca.subject_der()))
            };
            let on_path = chain.nodes[k..]
                .iter()
                .copied()
                .filter(|&j| named(&self.nodes[j]));
            let mut candidates: Vec<(usize, Option<&ExtraSigner>)> =
                on_path.map(|j| (j, None)).collect();
            candidates.extend(
                chain.indirect_signers[k]
                    .iter()
                    .filter(|x| named(&self.nodes[x.node]))
                    .map(|x| (x.node, Some(x))),
            );
            for (j, off) in candidates {
                let signer = &self.nodes[j];
                if let Some(x) = off {
                    if let Err(why) = self.check_signer(chain, x, at, depth, out) {
                        signer_problem.get_or_insert_with(|| {
                            format!(
                                "the cRLIssuer {} (certificate serial {}) {why}, so its CRLs do not count (RFC 5280 §6.3.3 (b)(1), (f))",
                                signer.subject, signer.serial
                            )
                        });
                        continue;
                    }
                }
                let via = Some(signer.ca.subject_der());
                match self.revocation_by(issuer, signer, cert, &mut dps, via, at, depth, out) {
                    Rev::Unknown(why) | Rev::Stale(why) => {
                        first.get_or_insert(why);
                    }
                    decided => return decided,
                }
            }
        }
        Rev::Unknown(
            signer_problem
                .or(first)
                .unwrap_or_else(|| format!("no current CRL of {}", issuer.subject)),
        )
    }

    /// A CRL signer off the path (`x`), validated at `at` as the end of a
    /// path through `chain.nodes[x.issuer_at..]` — which the path's own
    /// evaluation validates: the signer's validity period, and its
    /// revocation status from the path's own keys (no further signers, so
    /// this does not recurse). `Err` says why it does not count.
    pub(super) fn check_signer(
        &self,
        chain: &Chain,
        x: &ExtraSigner,
        at: Timestamp,
        depth: usize,
        out: &mut Vec<RevocationSource>,
    ) -> Result<(), String> {
        let signer = &self.nodes[x.node];
        if time_check(signer.not_before, signer.not_after, at, "").is_some() {
            return Err("is outside its validity period".into());
        }
        let signer_cert = Subject {
            serial: &signer.serial,
            is_ca: signer.is_ca,
            v3: true,
            issuer: &signer.issuer_der,
            crl_dp: signer
                .crl_dp
                .as_ref()
                .map(|(d, i)| (d.as_slice(), i.as_slice())),
        };
        // Evidence for the signer's status is kept: it is part of why this
        // certificate's status is what it is.
        match self.revocation(chain, x.issuer_at, &signer_cert, at, depth, false, out) {
            Rev::Good => Ok(()),
            Rev::Revoked(_) => Err("is revoked".into()),
            Rev::Unknown(why) | Rev::Stale(why) => Err(format!("has no known status ({why})")),
        }
    }

    /// [`Verifier::revocation`] with the CRLs signed by one key (`signer`):
    /// a CA of the issuer's name (`via` = `None`), or the cRLIssuer `via`
    /// named by one of the certificate's distribution points, whose
    /// indirect CRLs are then the only ones that count (§6.3.3 (b)(1)).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn revocation_by(
        &self,
        issuer: &CaNode,
        signer: &CaNode,
        cert: &Subject<'_>,
        dps: &mut Option<Option<Vec<dp::CertDp>>>,
        via: Option<&[u8]>,
        at: Timestamp,
        depth: usize,
        out: &mut Vec<RevocationSource>,
    ) -> Rev {
        // (f): the CRL issuer's key must allow cRLSign.
        if !signer.ca.can_sign_crls() {
            return Rev::Unknown(format!(
                "issuer {} may not sign CRLs (keyUsage lacks cRLSign)",
                issuer.subject
            ));
        }
        // One group per scope (issuingDistributionPoint): its newest
        // complete CRL, and the reasons it covers for this certificate.
        let mut groups: Vec<(&Source, ReasonFlags)> = Vec::new();
        let mut deltas: Vec<&Source> = Vec::new();
        let mut stale: Option<Timestamp> = None;
        // The earliest thisUpdate of complete CRLs in scope issued after
        // `at`: named when nothing else answers.
        let mut future: Option<Timestamp> = None;
        let mut out_of_scope = false;
        for &s in &signer.crls {
            let src = &self.sources[s];
            let m = src.index.meta();
            // §5.2.5 / §6.3.3 (b)(2): scope must cover the certificate.
            // A partitioned CRL covers it only through a distribution
            // point of the certificate whose name matches the IDP's
            // ((b)(2)(i)); it then covers the reasons of that DP too
            // ((d)). From an index file the IDP name is unknown: skipped,
            // which fails closed. Through a cRLIssuer (`via`), only an
            // indirect CRL counts, and only its entries about the
            // certificate's issuer (§5.3.3, §6.3.3 (b)(1)); directly, only
            // the entries about the CRL issuer's own certificates (an
            // indirect CRL may be used so: (b)(1) allows it).
            let sc = m.crl.scope;
            match via {
                None if src.entries_of.is_some() => continue,
                None => {}
                Some(_) => {
                    let about = match &src.entries_of {
                        Some(d) => names_match(d, cert.issuer),
                        None => names_match(signer.ca.subject_der(), cert.issuer),
                    };
                    if !sc.indirect || !about {
                        out_of_scope = true;
                        continue;
                    }
                }
            }
            let is_ca = cert.is_ca;
            // §5.2.5: the scope of a CRL with onlyContainsUserCerts or
            // onlyContainsCACerts "MUST NOT include any version 1 or
            // version 2 certificates".
            let typed = sc.only_user_certs || sc.only_ca_certs;
            if (sc.only_user_certs && is_ca) || (sc.only_ca_certs && !is_ca) || (typed && !cert.v3)
            {
                out_of_scope = true;
                continue;
            }
            let mut reasons = sc.only_some_reasons;
            if sc.partitioned || via.is_some() {
                let cert_dps = dps.get_or_insert_with(|| {
                    cert.crl_dp
                        .and_then(|(ext, issuer)| dp::cert_dps(ext, issuer).ok())
                });
                let covered = match (sc.partitioned, &src.idp_names, cert_dps) {
                    (true, Some(idp), Some(cdps)) => dp::covered_reasons(Some(idp), cdps, via),
                    (false, _, Some(cdps)) => dp::covered_reasons(None, cdps, via),
                    _ => None,
                };
                match covered {
                    None => {
                        out_of_scope = true;
                        continue;
                    }
                    Some(r) if !r.covers_all() => {
                        reasons = Some(reasons.unwrap_or(ReasonFlags::ALL) & r);
                    }
                    Some(_) => {}
                }
            }
            // (a)/(b) currency at `at`: thisUpdate ≤ at < nextUpdate. Checked
            // after scope, so that `stale` means a CRL that would cover the
            // certificate.
            if at < m.crl.this_update || at >= m.crl.next_update {
                if at >= m.crl.next_update && m.crl.delta_base.is_none() {
                    stale = Some(stale.map_or(m.crl.next_update, |t| t.max(m.crl.next_update)));
                } else if at < m.crl.this_update && m.crl.delta_base.is_none() {
                    future = Some(future.map_or(m.crl.this_update, |t| t.min(m.crl.this_update)));
                }
                continue;
            }
            if m.crl.delta_base.is_some() {
                deltas.push(src);
                continue;
            }
            // cRLNumbers order the CRLs of one scope only (§5.2.3): of each
            // scope the newest counts, and every scope's answer counts.
            match groups.iter_mut().find(|(b, _)| same_scope(b, src)) {
                Some((b, _)) => {
                    if newer(m, b.index.meta()) {
                        *b = src;
                    }
                }
                None => groups.push((src, reasons.unwrap_or(ReasonFlags::ALL))),
            }
        }
        if groups.is_empty() {
            if let Some(t) = stale {
                return Rev::Stale(format!(
                    "the CRL of {} is stale (nextUpdate {t} is not after {at})",
                    issuer.subject
                ));
            }
            if let Some(t) = future {
                return Rev::Unknown(format!(
                    "the CRL of {} is not yet valid (thisUpdate {t} is after {at})",
                    issuer.subject
                ));
            }
            return Rev::Unknown(if out_of_scope {
                format!(
                    "no CRL of {} whose scope (issuingDistributionPoint) covers this certificate",
                    issuer.subject
                )
            } else {
                format!("no current CRL of {}", issuer.subject)
            });
        }
        // §6.3.3 (i): a current CRL in scope that lists the certificate
        // decides, whichever reasons it covers; "not listed" decides only
        // once the CRLs together cover every reason ((d), (k)).
        let mark = out.len();
        let mut covered = ReasonFlags::NONE;
        for &(b, reasons) in &groups {
            covered = covered | reasons;
            out.push(b.evidence(depth));
            let mut hit = b
                .index
                .lookup(cert.serial)
                .filter(|r| r.reason != Some(RevocationReason::RemoveFromCrl));
            // §5.2.4: a delta applies to a base of the same scope ((b))
            // whose cRLNumber ≥ its BaseCRLNumber ((c)) and < its own
            // cRLNumber ((d)); take the newest such delta. A delta of
            // another scope would otherwise take a certificateHold off.
            let bm = b.index.meta();
            let delta = deltas
                .iter()
                .filter(|d| {
                    let dm = d.index.meta();
                    match (bm.crl.crl_number, dm.crl.delta_base, dm.crl.crl_number) {
                        (Some(bn), Some(db), Some(dn)) => same_scope(b, d) && bn >= db && dn > bn,
                        _ => false,
                    }
                })
                .max_by(|x, y| {
                    x.index
                        .meta()
                        .crl
                        .crl_number
                        .cmp(&y.index.meta().crl.crl_number)
                });
            if let Some(d) = delta {
                out.push(d.evidence(depth));
                if let Some(r) = d.index.lookup(cert.serial) {
                    if r.reason == Some(RevocationReason::RemoveFromCrl) {
                        // Un-revokes a certificateHold only.
                        if hit.is_some_and(|h| h.reason == Some(RevocationReason::CertificateHold))
                        {
                            hit = None;
                        }
                    } else {
                        hit = Some(r);
                    }
                }
            }
            if let Some(r) = hit {
                return Rev::Revoked(r);
            }
        }
        if !covered.covers_all() {
            out.truncate(mark);
            return Rev::Unknown(format!(
                "the current CRLs of {} in scope cover only some revocation reasons (onlySomeReasons, distribution point reasons), not all (RFC 5280 §6.3.3 (d))",
                issuer.subject
            ));
        }
        Rev::Good
    }
}

/// Same scope (§5.2.4 (b), §5.2.5): the same issuingDistributionPoint, or
/// neither has one, and entries about the same issuer.
fn same_scope(a: &Source, b: &Source) -> bool {
    a.index.meta().crl.scope == b.index.meta().crl.scope
        && a.entries_of == b.entries_of
        && match (&a.idp_names, &b.idp_names) {
            (None, None) => !a.index.meta().crl.scope.partitioned,
            (Some(x), Some(y)) => dp::same_names(x, y),
            _ => false,
        }
}

/// Prefers the higher cRLNumber, else the later thisUpdate.
pub(super) fn newer(a: &IndexMeta, b: &IndexMeta) -> bool {
    match (a.crl.crl_number, b.crl.crl_number) {
        (Some(x), Some(y)) if x != y => x > y,
        _ => a.crl.this_update > b.crl.this_update,
    }
}
