//! One module per endpoint family, each an HTTP adapter: read the request,
//! call into the server's domain modules through the shared
//! [`App`](crate::app::App), and build the response with [`crate::http`].
//! Handlers never import each other or the routing table above them.

pub(crate) mod admin;
pub(crate) mod health;
pub(crate) mod login;
pub(crate) mod ocsp;
pub(crate) mod oidc;
pub(crate) mod status;
pub(crate) mod verify;
