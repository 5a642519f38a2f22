//! The RSA-2048 public operation `s^65537 mod n` for eight signatures at
//! once, on AVX-512 IFMA.
//!
//! # Why this exists
//!
//! A JPKI batch is millions of leaves signed by one or two CA keys, and the
//! RSA public operation is ~90% of the work of checking one. AWS-LC and
//! OpenSSL compute it one signature at a time with 64-bit `mulx` chains.
//! With the same modulus for every signature, eight of them fit the eight
//! 64-bit lanes of a ZMM register: each lane runs the textbook
//! word-by-word Montgomery multiplication in radix 2^52, and
//! `vpmadd52{lo,hi}uq` does eight 52×52-bit multiply-accumulates per
//! instruction ("multi-buffer" RSA, as in Intel's ipp-crypto `crypto_mb`).
//! No crate offers this (ring, aws-lc-rs and RustCrypto's `rsa` all verify
//! one signature per call), so it is written here, for exactly one shape:
//! a 2048-bit modulus and e = 65537, the only RSA keys JPKI uses.
//!
//! # Why it is safe to trust
//!
//! This module never *rejects* anything: [`super::VerifyingKey`] accepts a
//! signature on this path only when the value computed here equals the
//! expected PKCS#1 v1.5 encoding exactly; any other outcome goes to the
//! regular backend (aws-lc-rs or ring), which gives the answer and the
//! error. An arithmetic slip here can cost speed, never a false "valid"
//! short of producing the exact encoding of the message's hash — which is
//! what the RSA assumption says nobody can do without the private key.
//! The tests compare every result with `rsa::BigUint::modpow`.
//!
//! # The arithmetic
//!
//! Numbers are 40 limbs of 52 bits (2080 bits, so R = 2^2080 > 4n and the
//! "almost Montgomery" product of two values below 2n stays below 2n
//! without a final subtraction). Limbs are accumulated in 64-bit lanes
//! without carrying: each of the 80 columns receives at most 82 product
//! terms (cross products of a square doubled) and 80 reduction terms,
//! each below 2^52, plus a 12-bit carry — below 2^60 — so one carry pass
//! at the end of each product is enough. `s^65537 = s^(2^16)·s` is 1 conversion into Montgomery form,
//! 16 squarings and one multiplication by plain `s`, which also leaves
//! Montgomery form.
//!
//! Products and reductions sweep the columns [`BLOCK`] rows at a time
//! (eight rows of a product, or eight reduction steps whose factors `m`
//! are found first from the block's low columns), with zero padding
//! around the operands so that every column runs the same unrolled body.
//! The order in which terms reach a column changes, not their number, so
//! the bound above holds. Against one row at a time this is 1.5× faster
//! on AMD Zen 4, where 512-bit stores are the bottleneck of the simple
//! loop.

use seq_macro::seq;
use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_and_si512, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_srli_epi64,
};

/// Limbs per number.
const LIMBS: usize = 40;
/// Bits per limb.
const BITS: u32 = 52;
const MASK: u64 = (1 << BITS) - 1;
/// Signatures per call.
pub(crate) const LANES: usize = 8;
/// Modulus length in bytes.
pub(crate) const MODULUS_BYTES: usize = 256;

/// A 2048-bit number as 40 little-endian limbs of 52 bits.
type Limbs = [u64; LIMBS];
/// Eight numbers, limb-major: `v[j]` holds limb `j` of every lane.
type Lanes = [__m512i; LIMBS];

/// Whether this CPU can run the multi-buffer path, and it was not turned
/// off with `KAKUNIN_NO_IFMA=1` (set it to measure the aws-lc-rs/ring
/// path that CPUs without AVX-512 IFMA take, on a CPU that has it).
pub(crate) fn available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let off = std::env::var_os("KAKUNIN_NO_IFMA").is_some_and(|v| v == "1");
        !off && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512ifma")
    })
}

/// A 2048-bit RSA public key with e = 65537, prepared for [`Key::pow_e`].
pub(crate) struct Key {
    n: Limbs,
    /// R² mod n, R = 2^2080: multiplies a value into Montgomery form.
    rr: Limbs,
    /// −n⁻¹ mod 2^52.
    k0: u64,
}

impl Key {
    /// The prepared key, or `None` when the key is not exactly 2048 bits
    /// with e = 65537, or the CPU lacks AVX-512 IFMA.
    pub(crate) fn new(modulus_be: &[u8], exponent_be: &[u8]) -> Option<Key> {
        let n = strip_zeros(modulus_be);
        if n.len() != MODULUS_BYTES || n[0] & 0x80 == 0 || n[MODULUS_BYTES - 1] & 1 == 0 {
            return None;
        }
        if strip_zeros(exponent_be) != [0x01, 0x00, 0x01] || !available() {
            return None;
        }
        let big_n = rsa::BigUint::from_bytes_be(n);
        let rr = (rsa::BigUint::from(1u8) << (2 * BITS as usize * LIMBS)) % &big_n;
        let rr_be = rr.to_bytes_be();
        let mut rr_fixed = [0u8; MODULUS_BYTES];
        rr_fixed[MODULUS_BYTES - rr_be.len()..].copy_from_slice(&rr_be);
        let n = to_limbs(n.try_into().ok()?);
        // Newton's iteration doubles the correct low bits of n⁻¹ mod 2^64
        // each step (n is odd, so x = n is right to 3 bits).
        let mut inv = n[0];
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n[0].wrapping_mul(inv)));
        }
        Some(Key {
            n,
            rr: to_limbs(&rr_fixed),
            k0: inv.wrapping_neg() & MASK,
        })
    }

    /// `sigs[i]^65537 mod n` for each lane, as big-endian bytes. Every
    /// `sigs[i]` must be below n (callers check; the result is otherwise
    /// still `sigs[i]^65537 mod n`, just computed from a larger input).
    pub(crate) fn pow_e(
        &self,
        sigs: &[[u8; MODULUS_BYTES]; LANES],
    ) -> [[u8; MODULUS_BYTES]; LANES] {
        let s: [Limbs; LANES] = std::array::from_fn(|l| to_limbs(&sigs[l]));
        // SAFETY: `Key::new` returns a key only when `available()` said
        // this CPU has AVX-512F and AVX-512 IFMA.
        let r = unsafe { pow_e_ifma(&s, &self.n, &self.rr, self.k0) };
        std::array::from_fn(|l| {
            let mut x = r[l];
            if !less_than(&x, &self.n) {
                sub_in_place(&mut x, &self.n);
            }
            from_limbs(&x)
        })
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[first..]
}

/// Big-endian bytes → 52-bit limbs.
fn to_limbs(be: &[u8; MODULUS_BYTES]) -> Limbs {
    let mut words = [0u64; MODULUS_BYTES / 8 + 1];
    for (i, chunk) in be.rchunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        words[i] = u64::from_be_bytes(w);
    }
    std::array::from_fn(|j| {
        let bit = j * BITS as usize;
        let (w, sh) = (bit / 64, bit % 64);
        let pair = (u128::from(words[w + 1]) << 64) | u128::from(words[w]);
        ((pair >> sh) as u64) & MASK
    })
}

/// 52-bit limbs (value < 2^2048) → big-endian bytes.
fn from_limbs(x: &Limbs) -> [u8; MODULUS_BYTES] {
    let mut words = [0u64; MODULUS_BYTES / 8 + 2];
    for (j, &limb) in x.iter().enumerate() {
        let bit = j * BITS as usize;
        let (w, sh) = (bit / 64, bit % 64);
        let v = u128::from(limb) << sh;
        words[w] |= v as u64;
        words[w + 1] |= (v >> 64) as u64;
    }
    let mut out = [0u8; MODULUS_BYTES];
    for (i, chunk) in out.rchunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&words[i].to_be_bytes());
    }
    out
}

fn less_than(a: &Limbs, b: &Limbs) -> bool {
    for j in (0..LIMBS).rev() {
        if a[j] != b[j] {
            return a[j] < b[j];
        }
    }
    false
}

fn sub_in_place(a: &mut Limbs, b: &Limbs) {
    let mut borrow = 0u64;
    for j in 0..LIMBS {
        let v = a[j].wrapping_sub(b[j]).wrapping_sub(borrow);
        borrow = v >> 63;
        a[j] = v & MASK;
    }
}

fn to_lanes(x: &[Limbs; LANES]) -> Lanes {
    std::array::from_fn(|j| {
        let v: [u64; LANES] = std::array::from_fn(|l| x[l][j]);
        // SAFETY: [u64; 8] and __m512i have the same size and every bit
        // pattern is valid for both.
        unsafe { std::mem::transmute::<[u64; LANES], __m512i>(v) }
    })
}

fn from_lanes(v: &Lanes) -> [Limbs; LANES] {
    let cols: [[u64; LANES]; LIMBS] = std::array::from_fn(|j| {
        // SAFETY: as in `to_lanes`.
        unsafe { std::mem::transmute::<__m512i, [u64; LANES]>(v[j]) }
    });
    std::array::from_fn(|l| std::array::from_fn(|j| cols[j][l]))
}

/// Rows of the schoolbook product (and reduction steps) handled per
/// sweep over the columns. The 81 column accumulators do not fit in
/// registers, so each is loaded and stored once per *block* of rows rather
/// than once per row: 16 multiply-accumulates per load/store pair instead
/// of 2. On CPUs whose 512-bit stores take two cycles (AMD Zen 4) the
/// row-at-a-time kernel was bound by those stores.
const BLOCK: usize = 8;
// The unrolled column body (`seq!(R in 0..8 …)` in `rows`) spells BLOCK out.
const _: () = assert!(BLOCK == 8);
type Wide = [__m512i; 2 * LIMBS + 1];
type Padded = [__m512i; LIMBS + 2 * BLOCK];

#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_e_ifma(s: &[Limbs; LANES], n: &Limbs, rr: &Limbs, k0: u64) -> [Limbs; LANES] {
    let n: Lanes = std::array::from_fn(|j| _mm512_set1_epi64(n[j] as i64));
    let rr: Lanes = std::array::from_fn(|j| _mm512_set1_epi64(rr[j] as i64));
    let k0 = _mm512_set1_epi64(k0 as i64);
    let np = padded(&n);
    let s = to_lanes(s);
    let mut x = amm(&s, &rr, &np, k0);
    for _ in 0..16 {
        x = ams(&x, &np, k0);
    }
    from_lanes(&amm(&x, &s, &np, k0))
}

/// `x` with BLOCK zero limbs on each side: `out[BLOCK + j]` is `x[j]`.
#[target_feature(enable = "avx512f")]
#[inline]
fn padded(x: &Lanes) -> Padded {
    let zero = _mm512_setzero_si512();
    let mut out = [zero; LIMBS + 2 * BLOCK];
    out[BLOCK..BLOCK + LIMBS].copy_from_slice(x);
    out
}

/// Adds rows `a[i..i+BLOCK]` times `bp` (padded) into columns
/// `i+d` for `d` in `d_from..=BLOCK-1+LIMBS`:
/// t[i+d] += Σ_r lo(a[i+r]·bp[BLOCK+d-r]) + hi(a[i+r]·bp[BLOCK+d-r-1]).
/// Zero padding stands for the terms outside the operand, so every
/// column runs the same unrolled, branch-free body.
#[target_feature(enable = "avx512f,avx512ifma")]
#[inline]
// `seq!` writes `d - 0` for R = 0.
#[allow(clippy::identity_op)]
fn rows(t: &mut Wide, a: &[__m512i; BLOCK], bp: &Padded, i: usize, d_from: usize) {
    for d in d_from..BLOCK + LIMBS {
        let mut lo = t[i + d];
        let mut hi = _mm512_setzero_si512();
        // Unrolled (`seq!`): LLVM does not unroll the column loops by itself,
        // and the kernel's speed depends on each column being one straight
        // run of multiply-accumulates.
        seq!(R in 0..8 {
            lo = _mm512_madd52lo_epu64(lo, a[R], bp[BLOCK + d - R]);
            hi = _mm512_madd52hi_epu64(hi, a[R], bp[BLOCK + d - R - 1]);
        });
        t[i + d] = _mm512_add_epi64(lo, hi);
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
#[inline]
fn ams(a: &Lanes, np: &Padded, k0: __m512i) -> Lanes {
    let zero = _mm512_setzero_si512();
    let mut t = [zero; 2 * LIMBS + 1];
    // Limbs below the current block are zeroed as the blocks advance, so
    // that each block multiplies only by the limbs past it.
    let mut ap = padded(a);
    for i in (0..LIMBS).step_by(BLOCK) {
        let block: [__m512i; BLOCK] = std::array::from_fn(|r| a[i + r]);
        ap[BLOCK + i..BLOCK + i + BLOCK].fill(zero);
        // Cross products a[i+r]·a[j], j past the block: a rectangle.
        if i + BLOCK < LIMBS {
            rows(&mut t, &block, &ap, i, i + BLOCK);
        }
        // Cross products inside the block: a[i+r]·a[i+s], r < s.
        for r in 0..BLOCK {
            for s in r + 1..BLOCK {
                let k = 2 * i + r + s;
                t[k] = _mm512_madd52lo_epu64(t[k], block[r], block[s]);
                t[k + 1] = _mm512_madd52hi_epu64(t[k + 1], block[r], block[s]);
            }
        }
    }
    for v in t.iter_mut() {
        *v = _mm512_add_epi64(*v, *v);
    }
    for i in 0..LIMBS {
        t[2 * i] = _mm512_madd52lo_epu64(t[2 * i], a[i], a[i]);
        t[2 * i + 1] = _mm512_madd52hi_epu64(t[2 * i + 1], a[i], a[i]);
    }
    reduce(t, np, k0)
}

#[target_feature(enable = "avx512f,avx512ifma")]
#[inline]
fn amm(a: &Lanes, b: &Lanes, np: &Padded, k0: __m512i) -> Lanes {
    let zero = _mm512_setzero_si512();
    let mut t = [zero; 2 * LIMBS + 1];
    let bp = padded(b);
    for i in (0..LIMBS).step_by(BLOCK) {
        let block: [__m512i; BLOCK] = std::array::from_fn(|r| a[i + r]);
        rows(&mut t, &block, &bp, i, 0);
    }
    reduce(t, np, k0)
}

/// Montgomery reduction, BLOCK steps per sweep: within a block, m for
/// step r is computed once column i+r has every term below it.
#[target_feature(enable = "avx512f,avx512ifma")]
#[inline]
fn reduce(mut t: Wide, np: &Padded, k0: __m512i) -> Lanes {
    let zero = _mm512_setzero_si512();
    let n = &np[BLOCK..BLOCK + LIMBS];
    for i in (0..LIMBS).step_by(BLOCK) {
        let mut m = [zero; BLOCK];
        let mut carry = zero;
        // The head: columns i..i+BLOCK, each finishing one m.
        for r in 0..BLOCK {
            let k = i + r;
            let mut acc = _mm512_add_epi64(t[k], carry);
            for s in 0..r {
                acc = _mm512_madd52lo_epu64(acc, m[s], n[r - s]);
                acc = _mm512_madd52hi_epu64(acc, m[s], n[r - s - 1]);
            }
            m[r] = _mm512_madd52lo_epu64(zero, acc, k0);
            acc = _mm512_madd52lo_epu64(acc, m[r], n[0]);
            carry = _mm512_srli_epi64::<52>(acc);
        }
        t[i + BLOCK] = _mm512_add_epi64(t[i + BLOCK], carry);
        // The rest: every m known.
        rows(&mut t, &m, np, i, BLOCK);
    }
    finish(&t)
}

/// The upper half of a reduced product, carried into 52-bit limbs.
#[target_feature(enable = "avx512f,avx512ifma")]
#[inline]
fn finish(t: &Wide) -> Lanes {
    let zero = _mm512_setzero_si512();
    let mask = _mm512_set1_epi64(MASK as i64);
    let mut carry = zero;
    std::array::from_fn(|j| {
        let v = _mm512_add_epi64(t[LIMBS + j], carry);
        carry = _mm512_srli_epi64::<52>(v);
        _mm512_and_si512(v, mask)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn modulus(seed: u8) -> [u8; MODULUS_BYTES] {
        // Any odd 2048-bit number works for the arithmetic (it need not
        // be an RSA modulus).
        let mut n: [u8; MODULUS_BYTES] =
            std::array::from_fn(|i| (i as u8).wrapping_mul(151).wrapping_add(seed) ^ 0x5a);
        n[0] |= 0x80;
        n[MODULUS_BYTES - 1] |= 1;
        n
    }

    fn oracle(n: &[u8], s: &[u8]) -> [u8; MODULUS_BYTES] {
        let n = rsa::BigUint::from_bytes_be(n);
        let r = rsa::BigUint::from_bytes_be(s).modpow(&rsa::BigUint::from(65537u32), &n);
        let be = r.to_bytes_be();
        let mut out = [0u8; MODULUS_BYTES];
        out[MODULUS_BYTES - be.len()..].copy_from_slice(&be);
        out
    }

    #[test]
    fn limbs_round_trip() {
        let n = modulus(7);
        assert_eq!(from_limbs(&to_limbs(&n)), n);
        let ones = [0xffu8; MODULUS_BYTES];
        assert_eq!(from_limbs(&to_limbs(&ones)), ones);
    }

    #[test]
    fn refuses_other_shapes() {
        let n = modulus(1);
        assert!(Key::new(&n, &[3]).is_none());
        assert!(Key::new(&n[1..], &[1, 0, 1]).is_none());
        let mut even = n;
        even[MODULUS_BYTES - 1] &= 0xfe;
        assert!(Key::new(&even, &[1, 0, 1]).is_none());
    }

    #[test]
    fn edge_values_match_modpow() {
        if !available() {
            eprintln!("skipped: no AVX-512 IFMA on this CPU");
            return;
        }
        let n = modulus(3);
        let key = Key::new(&n, &[1, 0, 1]).expect("2048-bit key");
        let mut n_minus_1 = n;
        n_minus_1[MODULUS_BYTES - 1] -= 1;
        let mut one = [0u8; MODULUS_BYTES];
        one[MODULUS_BYTES - 1] = 1;
        let mut two = [0u8; MODULUS_BYTES];
        two[MODULUS_BYTES - 1] = 2;
        let mut top = [0u8; MODULUS_BYTES];
        top[0] = 0x7f;
        top[1..].fill(0xff);
        let sigs = [
            [0u8; MODULUS_BYTES],
            one,
            two,
            n_minus_1,
            top,
            modulus(9).map(|b| b & 0x7f),
            [0x01; MODULUS_BYTES],
            [0x00; MODULUS_BYTES].map(|_| 0x33),
        ];
        let got = key.pow_e(&sigs);
        for (s, g) in sigs.iter().zip(&got) {
            assert_eq!(g, &oracle(&n, s));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random odd 2048-bit moduli, and per lane a random value below
        /// n, or one of n−1, n−2, (n−1)/2 — the values whose limbs are
        /// near the modulus's, where a carry slip would show.
        #[test]
        fn random_values_match_modpow(
            n_raw in prop::collection::vec(any::<u8>(), MODULUS_BYTES),
            raw in prop::collection::vec(any::<u8>(), LANES * MODULUS_BYTES),
            kinds in prop::collection::vec(0u8..6, LANES),
        ) {
            if !available() {
                return Ok(());
            }
            let mut n: [u8; MODULUS_BYTES] = n_raw.as_slice().try_into().unwrap();
            n[0] |= 0x80;
            n[MODULUS_BYTES - 1] |= 1;
            let key = Key::new(&n, &[0, 1, 0, 1]).expect("2048-bit key");
            let big_n = rsa::BigUint::from_bytes_be(&n);
            let fixed = |v: rsa::BigUint| -> [u8; MODULUS_BYTES] {
                let be = v.to_bytes_be();
                let mut out = [0u8; MODULUS_BYTES];
                out[MODULUS_BYTES - be.len()..].copy_from_slice(&be);
                out
            };
            let sigs: [[u8; MODULUS_BYTES]; LANES] = std::array::from_fn(|l| match kinds[l] {
                0 => fixed(&big_n - 1u8),
                1 => fixed(&big_n - 2u8),
                2 => fixed((&big_n - 1u8) >> 1),
                _ => fixed(
                    rsa::BigUint::from_bytes_be(&raw[l * MODULUS_BYTES..(l + 1) * MODULUS_BYTES])
                        % &big_n,
                ),
            });
            let got = key.pow_e(&sigs);
            for (s, g) in sigs.iter().zip(&got) {
                prop_assert_eq!(g, &oracle(&n, s));
            }
        }
    }
}
