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
        score_centi -> Nullable<BigInt>,
        acts_count -> Integer,
        follower_count -> BigInt,
        following_count -> BigInt,
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
        ended_at -> Nullable<BigInt>,
        end_reason -> Nullable<Text>,
        last_active_at -> BigInt,
        results -> Nullable<Text>,
    }
}

diesel::table! {
    acts (id) {
        id -> BigInt,
        room_id -> BigInt,
        round_no -> Integer,
        performer_id -> BigInt,
        average_centi -> Nullable<Integer>,
        score_count -> Integer,
        closed_at -> BigInt,
        recorded_at -> BigInt,
        counted -> Bool,
    }
}

diesel::table! {
    moderation_events (id) {
        id -> BigInt,
        kind -> Text,
        user_id -> Nullable<BigInt>,
        room_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    act_scores (act_id, scorer_id) {
        act_id -> BigInt,
        scorer_id -> BigInt,
        value -> Integer,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        follower_id -> BigInt,
        followee_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    login_codes (code_hash) {
        code_hash -> Text,
        user_id -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    ranking_counts (lvl, bucket) {
        lvl -> Integer,
        bucket -> BigInt,
        n -> BigInt,
    }
}

diesel::joinable!(rooms -> users (host_id));
diesel::joinable!(acts -> rooms (room_id));
diesel::joinable!(acts -> users (performer_id));
diesel::joinable!(act_scores -> acts (act_id));
diesel::joinable!(act_scores -> users (scorer_id));
diesel::joinable!(login_codes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    rooms,
    acts,
    act_scores,
    follows,
    login_codes,
    ranking_counts,
    moderation_events,
);
