//! How typed ids and enums are stored in SQL (feature `diesel`, enabled by the api-server only):
//! ids as the integer they wrap, enums as their wire strings. The impls are generic over the
//! backend, so they serve SQLite, MySQL/MariaDB and the api-server's `MultiConnection` alike, and
//! a model field can be `UserId` or `Category` instead of a bare `i64` or `String`.

use crate::auth::Role;
use crate::room::{Category, CloseReason, Mode, RoomStatus};
use crate::{RoomId, RoundId, UserId};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{BigInt, Integer, Text};

macro_rules! bigint_ids {
    ($($id:ident),*) => {$(
        impl<DB: Backend> FromSql<BigInt, DB> for $id
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                i64::from_sql(bytes).map($id)
            }
        }

        impl<DB: Backend> ToSql<BigInt, DB> for $id
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.0.to_sql(out)
            }
        }
    )*};
}

bigint_ids!(UserId, RoomId);

/// Round numbers count up from 1 and are stored in an INTEGER column; a negative one is a
/// broken row, refused on reading. Written as `i32`: a room never gets near 2^31 rounds.
impl<DB: Backend> FromSql<Integer, DB> for RoundId
where
    i32: FromSql<Integer, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let n = i32::from_sql(bytes)?;
        Ok(RoundId(
            u32::try_from(n).map_err(|_| format!("round number {n}"))?,
        ))
    }
}

/// Rounds past `i32::MAX` cannot be stored (refused, never wrapped).
impl RoundId {
    pub fn as_i32(self) -> Option<i32> {
        i32::try_from(self.0).ok()
    }
}

macro_rules! text_enums {
    ($($kind:ident),*) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $kind
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = String::from_sql(bytes)?;
                // Only ever written from this enum: anything else was edited by hand or by a
                // newer version, and is an error, never a silent default.
                $kind::parse(&s).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($kind), " {:?}"), s).into()
                })
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $kind
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )*};
}

text_enums!(Category, Mode, RoomStatus, CloseReason, Role);
