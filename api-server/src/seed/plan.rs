//! What the seeding tool writes, generated in memory from one random seed.
//!
//! Users, rooms, acts and scores are generated up front (about 150 MB for a million users);
//! follows are generated per follower from a random stream of its own, so they can be counted
//! first (for the users' counters) and generated again, identically, while they are written.

use crate::db::models::mean_centi;
use onair_shared::room::Category;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;

/// The shape of the generated data. Every share and mean is per user unless it says otherwise.
#[derive(Debug, Clone)]
pub struct Shape {
    pub users: u32,
    /// Everything random is derived from this, so one seed gives the same data.
    pub seed: u64,
    /// Users followed by a large share of everybody (half of all users for the first one,
    /// a tenth for the last one).
    pub celebrities: u32,
    /// Median number of users a user follows (log-normal spread; 5% follow nobody).
    pub median_following: f64,
    /// Share of users who ever join ranked rooms.
    pub performer_share: f64,
    /// Ranked acts to generate, per user.
    pub acts_per_user: f64,
    /// Share of users banned.
    pub banned_share: f64,
    /// "Now" for the generated timeline (unix seconds).
    pub now: i64,
}

impl Shape {
    /// The defaults for `users` users: one celebrity per 50,000 users (at least 3).
    pub fn new(users: u32, seed: u64, now: i64) -> Shape {
        Shape {
            users,
            seed,
            celebrities: (users / 50_000).max(3).min(users / 2),
            median_following: 20.0,
            performer_share: 0.3,
            acts_per_user: 1.0,
            banned_share: 0.001,
            now,
        }
    }
}

pub const YEAR: i64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Default)]
pub struct UserPlan {
    pub created_at: i64,
    pub banned: bool,
    /// Sum of the user's scored act averages, hundredths; `None` until one was scored.
    pub score_centi: Option<i64>,
    pub acts: i32,
    pub followers: u32,
    pub following: u32,
}

#[derive(Debug, Clone)]
pub struct RoomPlan {
    pub host: u32,
    pub category: Category,
    pub member_limit: u8,
    pub status: &'static str,
    pub member_count: u32,
    pub created_at: i64,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct ActPlan {
    pub room: u32,
    pub round: u32,
    pub performer: u32,
    pub average_centi: Option<i64>,
    /// Index of the act's first score in [`Plan::scores`]; its scores are contiguous.
    pub first_score: usize,
    pub score_count: u32,
    /// Unix milliseconds.
    pub closed_at: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct ScorePlan {
    pub scorer: u32,
    pub value: u8,
}

/// Everything but the follows, which [`Plan::follows_of`] generates on demand.
pub struct Plan {
    pub shape: Shape,
    /// `users[i]` is user id `i + 1`.
    pub users: Vec<UserPlan>,
    /// `rooms[i]` is room id `i + 1`.
    pub rooms: Vec<RoomPlan>,
    /// `acts[i]` is act id `i + 1`, in room and round order.
    pub acts: Vec<ActPlan>,
    pub scores: Vec<ScorePlan>,
    /// `(user id, share of all users following it)`.
    pub celebrities: Vec<(u32, f64)>,
    pub follows: u64,
    /// Follows are dated evenly over this span (unix seconds), in id order.
    pub follows_from: i64,
    pub follows_to: i64,
}

/// SplitMix64: spreads seeds so neighbouring indexes get unrelated streams.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream for one purpose (`stream`) and one item (`index`).
fn rng(seed: u64, stream: u64, index: u64) -> SmallRng {
    SmallRng::seed_from_u64(mix(
        mix(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407)) ^ index
    ))
}

const STREAM_USERS: u64 = 1;
const STREAM_ROOMS: u64 = 2;
const STREAM_FOLLOWS: u64 = 3;
const STREAM_CELEBRITIES: u64 = 4;
const STREAM_SKILL: u64 = 5;

/// A standard normal sample (Box-Muller).
fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

const FIRST_NAMES: &[&str] = &[
    "Minjun", "Seoyeon", "Jiwoo", "Haeun", "Doyun", "Jiho", "Yuna", "Siwoo", "Hayoon", "Juwon",
    "Eunwoo", "Sua", "Jian", "Chaewon", "Hyun", "Dana", "Alex", "Mina", "Leo", "Nora", "Sam",
    "Yuri", "Taeyang", "Bora", "민준", "서연", "지우", "하은", "도윤", "예린",
];
const LAST_NAMES: &[&str] = &[
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo",
    "Shin", "Kwon", "Song", "김", "이", "박", "최",
];
const INTROS: &[&str] = &[
    "Singing since I could talk.",
    "Weekend magician, weekday accountant.",
    "Dance crew captain from Busan.",
    "Stand-up every Friday, come say hi!",
    "Guitar, ukulele, and a lot of enthusiasm.",
    "Impressions of your favourite idols.",
    "노래하는 직장인입니다.",
    "춤추는 게 제일 좋아요 :)",
    "Trying every category once.",
];
const ROOM_WORDS: &[&str] = &[
    "Friday",
    "Late Night",
    "Sunday",
    "Rookie",
    "Open",
    "Grand",
    "Midnight",
    "Weekly",
];

fn pick<'a>(rng: &mut SmallRng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

/// A user's display name (at most 30 characters).
pub fn display_name(seed: u64, id: u32) -> String {
    let mut r = rng(seed, STREAM_USERS ^ 0x100, u64::from(id));
    let first = pick(&mut r, FIRST_NAMES);
    let last = pick(&mut r, LAST_NAMES);
    if r.random_bool(0.5) {
        format!("{first} {last}")
    } else {
        format!("{first} {last} {}", id % 1000)
    }
}

/// A user's intro: most users leave it empty.
pub fn intro(seed: u64, id: u32) -> &'static str {
    let mut r = rng(seed, STREAM_USERS ^ 0x200, u64::from(id));
    if r.random_bool(0.4) {
        pick(&mut r, INTROS)
    } else {
        ""
    }
}

/// The dev-login id of a seeded user: `seed0000042` signs in as user 42 in dev mode.
pub fn provider_id(id: u32, width: usize) -> String {
    format!("seed{id:0width$}")
}

/// How skilled a performer is: the centre of the scores they get.
fn skill(seed: u64, user: u32) -> f64 {
    let mut r = rng(seed, STREAM_SKILL, u64::from(user));
    r.random_range(35.0..92.0)
}

impl Plan {
    pub fn generate(shape: Shape) -> Plan {
        let n = shape.users;
        assert!(n >= 10, "seed at least 10 users");
        let seed = shape.seed;
        let created_from = shape.now - 3 * YEAR;
        let created_step = (2 * YEAR) / i64::from(n);

        // Users, and who performs.
        let mut users = Vec::with_capacity(n as usize);
        let mut performers = Vec::new();
        for id in 1..=n {
            let mut r = rng(seed, STREAM_USERS, u64::from(id));
            let banned = r.random_bool(shape.banned_share);
            if r.random_bool(shape.performer_share) {
                performers.push(id);
            }
            users.push(UserPlan {
                created_at: created_from + i64::from(id - 1) * created_step,
                banned,
                ..UserPlan::default()
            });
        }
        if performers.len() < 2 {
            performers = (1..=n).collect();
        }
        // Popularity among performers is unrelated to age: shuffle, then pick with a skew.
        let mut r = rng(seed, STREAM_ROOMS, 0);
        for i in (1..performers.len()).rev() {
            performers.swap(i, r.random_range(0..=i));
        }

        // Celebrities: random users (not banned), followed by 50% ... 10% of everybody.
        let mut celebrities: Vec<(u32, f64)> = Vec::new();
        let mut cr = rng(seed, STREAM_CELEBRITIES, 0);
        let wanted = shape.celebrities.min(n / 2) as usize;
        while celebrities.len() < wanted {
            let id = cr.random_range(1..=n);
            if users[(id - 1) as usize].banned || celebrities.iter().any(|(c, _)| *c == id) {
                continue;
            }
            let j = celebrities.len() as f64;
            let share = if wanted > 1 {
                0.5 - 0.4 * j / (wanted as f64 - 1.0)
            } else {
                0.5
            };
            celebrities.push((id, share));
        }

        // Ranked rooms, their acts and scores.
        let target_acts = (f64::from(n) * shape.acts_per_user).round() as usize;
        let room_span_from = shape.now - YEAR;
        let room_step = (YEAR - 3 * 3600) / ((target_acts / 12).max(1) as i64);
        let mut rooms: Vec<RoomPlan> = Vec::new();
        let mut acts: Vec<ActPlan> = Vec::with_capacity(target_acts + 100);
        let mut scores: Vec<ScorePlan> = Vec::with_capacity(target_acts * 6);
        let mut members: Vec<u32> = Vec::new();
        while acts.len() < target_acts {
            let room_index = rooms.len() as u32;
            let room_id = room_index + 1;
            let mut r = rng(seed, STREAM_ROOMS, u64::from(room_id));
            let member_limit: u8 = [4, 6, 8, 8, 8, 8, 10, 12][r.random_range(0..8)];
            let member_count = r.random_range(2..=member_limit) as usize;
            members.clear();
            while members.len() < member_count {
                let u: f64 = r.random();
                let m = performers[((performers.len() as f64) * u * u) as usize];
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            let created_at = room_span_from + i64::from(room_index) * room_step;
            let category = Category::ALL[r.random_range(0..Category::ALL.len())];
            let rounds = (1.0 - 11.0 * (1.0 - r.random::<f64>()).ln()).min(80.0) as u32;
            let mut closed_at = created_at * 1000;
            for round in 1..=rounds {
                let performer = members[(round as usize - 1) % members.len()];
                closed_at += r.random_range(120_000..240_000);
                let centre = skill(seed, performer);
                let first_score = scores.len();
                for &scorer in members.iter().filter(|m| **m != performer) {
                    if r.random_bool(0.9) {
                        let value = (centre + 12.0 * normal(&mut r)).round().clamp(0.0, 100.0);
                        scores.push(ScorePlan {
                            scorer,
                            value: value as u8,
                        });
                    }
                }
                let values: Vec<u8> = scores[first_score..].iter().map(|s| s.value).collect();
                let average_centi = mean_centi(&values);
                let user = &mut users[(performer - 1) as usize];
                user.acts += 1;
                if let Some(avg) = average_centi {
                    user.score_centi = Some(user.score_centi.unwrap_or(0) + avg);
                }
                acts.push(ActPlan {
                    room: room_id,
                    round,
                    performer,
                    average_centi,
                    first_score,
                    score_count: values.len() as u32,
                    closed_at,
                });
            }
            rooms.push(RoomPlan {
                host: members[0],
                category,
                member_limit,
                status: "ended",
                member_count: 0,
                created_at,
                title: format!(
                    "{} {} Battle #{room_id}",
                    pick(&mut r, ROOM_WORDS),
                    category.label_en()
                ),
            });
        }
        // A few rooms open and live now, without acts yet, so the catalogue is not empty.
        for k in 0..20u32 {
            let room_id = rooms.len() as u32 + 1;
            let mut r = rng(seed, STREAM_ROOMS, u64::from(room_id));
            let category = Category::ALL[r.random_range(0..Category::ALL.len())];
            let live = k % 2 == 1;
            rooms.push(RoomPlan {
                host: performers[r.random_range(0..performers.len())],
                category,
                member_limit: 8,
                status: if live { "live" } else { "open" },
                member_count: if live { r.random_range(2..=8) } else { 0 },
                created_at: shape.now - 3600 + i64::from(k) * 60,
                title: format!(
                    "{} {} Room #{room_id}",
                    pick(&mut r, ROOM_WORDS),
                    category.label_en()
                ),
            });
        }

        let mut plan = Plan {
            shape,
            users,
            rooms,
            acts,
            scores,
            celebrities,
            follows: 0,
            follows_from: 0,
            follows_to: 0,
        };

        // Count the follows once, for the users' counters.
        let mut set = HashSet::new();
        let mut out = Vec::new();
        let mut total = 0u64;
        for id in 1..=n {
            plan.follows_of(id, &mut set, &mut out);
            plan.users[(id - 1) as usize].following = out.len() as u32;
            for &followee in &out {
                plan.users[(followee - 1) as usize].followers += 1;
            }
            total += out.len() as u64;
        }
        plan.follows = total;
        plan.follows_from = plan.shape.now - YEAR;
        plan.follows_to = plan.shape.now - 3600;
        plan
    }

    /// Whom user `id` follows, in the order the follows were made (the same every call).
    /// `set` is scratch space.
    pub fn follows_of(&self, id: u32, set: &mut HashSet<u32>, out: &mut Vec<u32>) {
        let n = self.shape.users;
        let mut r = rng(self.shape.seed, STREAM_FOLLOWS, u64::from(id));
        set.clear();
        out.clear();
        let mut add = |followee: u32, out: &mut Vec<u32>| {
            if followee != id && set.insert(followee) {
                out.push(followee);
            }
        };
        for &(celebrity, share) in &self.celebrities {
            if r.random_bool(share) {
                add(celebrity, out);
            }
        }
        let wanted = if r.random_bool(0.05) {
            0
        } else {
            let k = (self.shape.median_following.ln() + 0.9 * normal(&mut r)).exp();
            (k.round() as u32).clamp(1, 2000.min(n - 1))
        };
        // Old users are followed more (power law over a shuffled popularity order); a third
        // of the picks are uniform.
        let target = out.len() + wanted as usize;
        let mut attempts = 0;
        while out.len() < target && attempts < 20 * target {
            attempts += 1;
            let followee = if r.random_bool(0.65) {
                let u: f64 = r.random();
                let rank = (f64::from(n) * u * u * u) as u64;
                ((rank * 2_147_483_647) % u64::from(n)) as u32 + 1
            } else {
                r.random_range(1..=n)
            };
            add(followee, out);
        }
        // Shuffled so a follower's follows are not ordered by popularity.
        for i in (1..out.len()).rev() {
            out.swap(i, r.random_range(0..=i));
        }
    }

    /// The date of the follow with this id (1-based): evenly spread, increasing with the id.
    pub fn follow_created_at(&self, follow_id: u64) -> i64 {
        let span = (self.follows_to - self.follows_from) as f64;
        self.follows_from + (span * (follow_id as f64) / (self.follows.max(1) as f64)) as i64
    }

    pub fn ranked_users(&self) -> usize {
        self.users
            .iter()
            .filter(|u| u.score_centi.is_some() && !u.banned)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_consistent_and_repeatable() {
        let plan = Plan::generate(Shape::new(3000, 7, 1_800_000_000));
        let again = Plan::generate(Shape::new(3000, 7, 1_800_000_000));
        assert_eq!(plan.follows, again.follows);
        assert_eq!(plan.acts.len(), again.acts.len());
        // The users' sums are what their acts say.
        let mut sums = vec![(0i32, None::<i64>); plan.users.len()];
        for act in &plan.acts {
            let s = &mut sums[(act.performer - 1) as usize];
            s.0 += 1;
            if let Some(a) = act.average_centi {
                s.1 = Some(s.1.unwrap_or(0) + a);
            }
            let values: Vec<u8> = plan.scores
                [act.first_score..act.first_score + act.score_count as usize]
                .iter()
                .map(|s| s.value)
                .collect();
            assert_eq!(mean_centi(&values), act.average_centi);
        }
        for (u, (acts, score)) in plan.users.iter().zip(sums) {
            assert_eq!((u.acts, u.score_centi), (acts, score));
        }
        // Follows: no self-follow, no duplicate, counters match.
        let mut set = HashSet::new();
        let mut out = Vec::new();
        let mut followers = vec![0u32; plan.users.len()];
        for id in 1..=3000 {
            plan.follows_of(id, &mut set, &mut out);
            assert!(!out.contains(&id));
            let distinct: HashSet<_> = out.iter().collect();
            assert_eq!(distinct.len(), out.len());
            assert_eq!(plan.users[(id - 1) as usize].following as usize, out.len());
            for f in &out {
                followers[(*f - 1) as usize] += 1;
            }
        }
        for (u, f) in plan.users.iter().zip(followers) {
            assert_eq!(u.followers, f);
        }
        // The first celebrity is followed by about half of everybody.
        let (celebrity, _) = plan.celebrities[0];
        let f = plan.users[(celebrity - 1) as usize].followers;
        assert!((1200..1800).contains(&f), "{f}");
        assert!(plan.ranked_users() > 300, "{}", plan.ranked_users());
    }
}
