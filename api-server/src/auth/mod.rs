//! Tokens and who is asking: signing/verifying JWTs, and the [`AuthUser`] extractor that
//! handlers take to require a signed-in user.

mod extractor;
pub mod jwt;

pub use extractor::AuthUser;
pub use jwt::JwtKeys;
