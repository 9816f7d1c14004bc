//! Typed ids: a user id can never be passed where a room id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident($inner:ty) as $sql:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(feature = "diesel", derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::$sql))]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

typed_id!(
    /// A registered user (row id in the api-server's `users` table).
    UserId(i64) as BigInt
);
typed_id!(
    /// A room (row id in the api-server's `rooms` table).
    RoomId(i64) as BigInt
);
typed_id!(
    /// A scoring round inside one room; counts up from 1 for the room's whole life, so
    /// `(RoomId, RoundId)` names one act everywhere and makes recording it idempotent.
    RoundId(u32) as Integer
);
