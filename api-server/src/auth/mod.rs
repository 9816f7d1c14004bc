//! Tokens and who is asking: signing/verifying JWTs, and the [`AuthUser`] extractor that
//! handlers take to require a signed-in user.

pub mod current;
mod extractor;
pub mod jwt;
pub mod kakao;
pub mod oauth_state;

pub use extractor::{tokens_equal, AdminUser, AuthUser, MaybeAuthUser, ServiceCaller};
pub use jwt::JwtKeys;
