// @generated automatically by Diesel CLI (from migrations/sqlite, see diesel.toml); it must
// also describe migrations/mysql, so column types are chosen to mean the same on both.

diesel::table! {
    users (id) {
        id -> BigInt,
        provider -> Text,
        provider_id -> Text,
        display_name -> Text,
        avatar_url -> Nullable<Text>,
        intro -> Text,
        role -> Text,
        banned -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        title -> Text,
        description -> Text,
        category -> Text,
        mode -> Text,
        host_id -> BigInt,
        member_limit -> Integer,
        status -> Text,
        member_count -> Integer,
        created_at -> BigInt,
    }
}

diesel::joinable!(rooms -> users (host_id));

diesel::allow_tables_to_appear_in_same_query!(users, rooms);
