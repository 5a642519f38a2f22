//! Scopes: the `openid` scope, the Digital Agency's one scope per fact of
//! the 基本4情報 (`name`, `address`, `birthdate`, `gender`) and `sign`.

use std::fmt;

use thiserror::Error;

/// One scope value kakunin knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `openid`: required on every authorization request (OIDC Core §3.1.2.1).
    OpenId,
    /// `name`: the holder's name (氏名).
    Name,
    /// `address`: the holder's address (住所).
    Address,
    /// `birthdate`: the date of birth (生年月日).
    Birthdate,
    /// `gender`: the gender (性別).
    Gender,
    /// `sign`: approval of a signing transaction.
    Sign,
}

impl Scope {
    /// Every scope, in the order they are listed in discovery.
    pub const ALL: [Scope; 6] = [
        Scope::OpenId,
        Scope::Name,
        Scope::Address,
        Scope::Birthdate,
        Scope::Gender,
        Scope::Sign,
    ];

    /// The scope's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::Name => "name",
            Scope::Address => "address",
            Scope::Birthdate => "birthdate",
            Scope::Gender => "gender",
            Scope::Sign => "sign",
        }
    }

    /// The scope named exactly `name` (case-sensitive, RFC 6749 §3.3).
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether this scope asks for one of the four facts, which come from
    /// the signing certificate and so need the signing password.
    pub fn is_fact(self) -> bool {
        matches!(
            self,
            Scope::Name | Scope::Address | Scope::Birthdate | Scope::Gender
        )
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of scopes (order-free, as RFC 6749 §3.3 says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

/// Why a scope string was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScopeError {
    /// The string was empty or had an empty token (two spaces in a row, or a
    /// leading or trailing space).
    #[error("expected scope tokens separated by single spaces (RFC 6749 §3.3), found {found:?}")]
    Syntax {
        /// The whole scope string.
        found: String,
    },
    /// A token that is not one of kakunin's scopes.
    #[error("expected scopes among `openid name address birthdate gender sign`, found unknown scope {found:?}")]
    Unknown {
        /// The unknown token.
        found: String,
    },
}

impl Scopes {
    /// Parses a space-delimited scope string (RFC 6749 §3.3:
    /// `scope-token *( SP scope-token )`). Repeated tokens are allowed and
    /// count once.
    pub fn parse(s: &str) -> Result<Scopes, ScopeError> {
        let mut set = Scopes::default();
        if s.is_empty() {
            return Err(ScopeError::Syntax { found: s.into() });
        }
        for token in s.split(' ') {
            if token.is_empty() {
                return Err(ScopeError::Syntax { found: s.into() });
            }
            let scope = Scope::from_name(token).ok_or_else(|| ScopeError::Unknown {
                found: token.into(),
            })?;
            set.insert(scope);
        }
        Ok(set)
    }

    /// Adds a scope.
    pub fn insert(&mut self, scope: Scope) {
        self.0 |= scope.bit();
    }

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    /// The scopes of `self` that are not in `other`.
    pub fn difference(self, other: Scopes) -> Scopes {
        Scopes(self.0 & !other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in the set, in [`Scope::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Whether any of the four facts is asked for.
    pub fn asks_for_facts(self) -> bool {
        self.iter().any(Scope::is_fact)
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Scopes::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

/// Space-separated, in [`Scope::ALL`] order: the form the token response
/// and the access token's `scope` claim use.
impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in self.iter() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_in_canonical_order() {
        let s = Scopes::parse("gender openid name openid").unwrap();
        assert_eq!(s.to_string(), "openid name gender");
        assert!(s.asks_for_facts());
    }

    #[test]
    fn refuses_empty_tokens() {
        for bad in ["", " openid", "openid ", "openid  name"] {
            assert!(
                matches!(Scopes::parse(bad), Err(ScopeError::Syntax { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_unknown_and_case_variants() {
        assert_eq!(
            Scopes::parse("openid OpenID"),
            Err(ScopeError::Unknown {
                found: "OpenID".into()
            })
        );
        assert!(Scopes::parse("openid profile").is_err());
        assert!(Scopes::parse("openid\tname").is_err());
    }

    #[test]
    fn subset_and_difference() {
        let allowed = Scopes::parse("openid name").unwrap();
        let asked = Scopes::parse("openid address").unwrap();
        assert!(!asked.is_subset(allowed));
        assert_eq!(asked.difference(allowed).to_string(), "address");
    }
}
