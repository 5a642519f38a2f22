//! What a JPKI card holds, by name: the applications, their elementary
//! files, their PINs. One table, shared by the client and the virtual card,
//! and checked against OpenSC's JPKI driver and jpki/myna (see
//! `docs/jpki.md`, "The card").
//!
//! The My Number EF of the text AP (`0001`) and its hash EF (`0003`) are
//! deliberately absent: with no name for them, no code path can select
//! them.

/// The JPKI application (公的個人認証 AP).
pub const JPKI_AID: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
/// The text-of-the-card-face AP (券面事項入力補助 AP).
pub const TEXT_AID: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];

/// An elementary file of the JPKI AP, or of the text AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ef {
    /// `0006`: token info, 32 ASCII bytes (`JPKIAPICCTOKEN2` …).
    TokenInfo,
    /// `000A`: user-authentication certificate (free to read).
    AuthCert,
    /// `000B`: its CA's certificate.
    AuthCaCert,
    /// `0001`: signing certificate (signing password first).
    SignCert,
    /// `0002`: its CA's certificate.
    SignCaCert,
    /// `0017`: user-authentication private key.
    AuthKey,
    /// `0018`: user-authentication PIN.
    AuthPin,
    /// `001A`: signing private key.
    SignKey,
    /// `001B`: signing password.
    SignPin,
    /// Text AP `0011`: its PIN.
    TextPin,
    /// Text AP `0002`: the basic four facts (PIN first).
    TextFacts,
}

impl Ef {
    /// Every EF named here, JPKI AP first: the whole of what a client may
    /// select, and all a virtual card holds.
    pub const ALL: [Ef; 11] = [
        Ef::TokenInfo,
        Ef::AuthCert,
        Ef::AuthCaCert,
        Ef::SignCert,
        Ef::SignCaCert,
        Ef::AuthKey,
        Ef::AuthPin,
        Ef::SignKey,
        Ef::SignPin,
        Ef::TextPin,
        Ef::TextFacts,
    ];

    /// The two-byte file identifier.
    pub fn id(self) -> [u8; 2] {
        match self {
            Ef::TokenInfo => [0x00, 0x06],
            Ef::AuthCert => [0x00, 0x0A],
            Ef::AuthCaCert => [0x00, 0x0B],
            Ef::SignCert => [0x00, 0x01],
            Ef::SignCaCert => [0x00, 0x02],
            Ef::AuthKey => [0x00, 0x17],
            Ef::AuthPin => [0x00, 0x18],
            Ef::SignKey => [0x00, 0x1A],
            Ef::SignPin => [0x00, 0x1B],
            Ef::TextPin => [0x00, 0x11],
            Ef::TextFacts => [0x00, 0x02],
        }
    }

    /// The application the file is in.
    pub fn aid(self) -> &'static [u8; 10] {
        match self {
            Ef::TextPin | Ef::TextFacts => &TEXT_AID,
            _ => &JPKI_AID,
        }
    }
}

/// One of the four certificates of the JPKI AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertSlot {
    /// The user-authentication certificate (利用者証明用電子証明書).
    Auth,
    /// The CA certificate of the authentication CA.
    AuthCa,
    /// The signing certificate (署名用電子証明書); needs the signing
    /// password.
    Sign,
    /// The CA certificate of the signing CA.
    SignCa,
}

impl CertSlot {
    /// Every slot, in the order `card info` lists them.
    pub const ALL: [CertSlot; 4] = [
        CertSlot::Auth,
        CertSlot::AuthCa,
        CertSlot::Sign,
        CertSlot::SignCa,
    ];

    /// Its EF.
    pub fn ef(self) -> Ef {
        match self {
            CertSlot::Auth => Ef::AuthCert,
            CertSlot::AuthCa => Ef::AuthCaCert,
            CertSlot::Sign => Ef::SignCert,
            CertSlot::SignCa => Ef::SignCaCert,
        }
    }

    /// The PIN that must be verified before reading it, if any.
    pub fn pin(self) -> Option<PinKind> {
        match self {
            CertSlot::Sign => Some(PinKind::Sign),
            _ => None,
        }
    }

    /// A short name (`auth`, `auth-ca`, `sign`, `sign-ca`).
    pub fn name(self) -> &'static str {
        match self {
            CertSlot::Auth => "auth",
            CertSlot::AuthCa => "auth-ca",
            CertSlot::Sign => "sign",
            CertSlot::SignCa => "sign-ca",
        }
    }
}

/// A private key of the JPKI AP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeySlot {
    /// The user-authentication key (PIN: 4 digits).
    Auth,
    /// The signing key (PIN: the signing password).
    Sign,
}

impl KeySlot {
    /// Its EF.
    pub fn ef(self) -> Ef {
        match self {
            KeySlot::Auth => Ef::AuthKey,
            KeySlot::Sign => Ef::SignKey,
        }
    }

    /// The PIN that unlocks it.
    pub fn pin(self) -> PinKind {
        match self {
            KeySlot::Auth => PinKind::Auth,
            KeySlot::Sign => PinKind::Sign,
        }
    }
}

/// One of the card's PINs this front end uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PinKind {
    /// User-authentication PIN: 4 digits, 3 tries.
    Auth,
    /// Signing password: 6–16 of `A-Z0-9`, at least one letter and one
    /// digit, 5 tries.
    Sign,
    /// Text AP PIN: 4 digits, 3 tries.
    Text,
}

impl PinKind {
    /// Its EF.
    pub fn ef(self) -> Ef {
        match self {
            PinKind::Auth => Ef::AuthPin,
            PinKind::Sign => Ef::SignPin,
            PinKind::Text => Ef::TextPin,
        }
    }

    /// Tries a new card has (and a correct PIN restores).
    pub fn max_tries(self) -> u8 {
        match self {
            PinKind::Sign => 5,
            PinKind::Auth | PinKind::Text => 3,
        }
    }

    /// How people call it.
    pub fn describe(self) -> &'static str {
        match self {
            PinKind::Auth => "user-authentication PIN (4 digits)",
            PinKind::Sign => "signing password (6-16 letters and digits)",
            PinKind::Text => "text AP PIN (4 digits)",
        }
    }

    /// A short name (`auth`, `sign`, `text`).
    pub fn name(self) -> &'static str {
        match self {
            PinKind::Auth => "auth",
            PinKind::Sign => "sign",
            PinKind::Text => "text",
        }
    }
}

/// The token info values, as `card info` names them.
pub fn token_kind(info: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(info);
    match text.trim_end_matches([' ', '\0']) {
        "JPKIAPICCTOKEN2" => "My Number Card",
        "JPKIAPICCTOKEN" => "Basic Resident Registration Card (住基カード)",
        "JPKIAPGPSETOKEN" => "smartphone (Android, GP-SE)",
        "JPKIAPIOSTOKEN" => "smartphone (iOS)",
        _ => "unknown JPKI token",
    }
}
