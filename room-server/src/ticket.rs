//! Room tickets: the short-lived JWT the api-server issues for one user and one room.

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use onair_shared::auth::{TicketClaims, TokenKind};

pub struct TicketVerifier {
    key: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TicketError {
    #[error("the ticket has expired; ask the api-server for a new one")]
    Expired,
    #[error("the ticket is not valid")]
    Invalid,
}

impl TicketVerifier {
    pub fn new(secret: &str) -> TicketVerifier {
        let mut validation = Validation::new(Algorithm::HS256);
        // Tickets live 60 s; a few seconds of clock skew between hosts is all we forgive.
        validation.leeway = 5;
        // `sub` is our numeric user id, which the library would insist be a string.
        validation.set_required_spec_claims(&["exp"]);
        TicketVerifier {
            key: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn verify(&self, token: &str) -> Result<TicketClaims, TicketError> {
        let data =
            decode::<TicketClaims>(token, &self.key, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TicketError::Expired,
                    _ => TicketError::Invalid,
                }
            })?;
        // A login token is signed with the same secret; it must not open a room.
        if data.claims.kind != TokenKind::Ticket {
            return Err(TicketError::Invalid);
        }
        Ok(data.claims)
    }
}
