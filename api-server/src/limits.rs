//! Rate limits on what is cheap to ask and costly to serve or to moderate: room creation,
//! room tickets and logins, each per user (or account name) and per client address, answered
//! with 429 `rate_limited` and `Retry-After`. The counting is `governor`'s (the generic cell
//! rate algorithm, keyed); limits are per api-server instance.
//!
//! The client address is the connection's, unless the connection comes from a trusted proxy
//! (`ONAIR_TRUSTED_PROXIES`): then it is the rightmost `X-Forwarded-For` address that is not
//! itself a trusted proxy. By default nobody is trusted, so a client cannot pick its own
//! address by sending the header. IPv6 clients are counted by their /64 (one host can use a
//! whole /64).

use crate::config::RateLimits;
use crate::error::ApiError;
use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

/// Who is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(i64),
    Account(String),
    Addr(IpAddr),
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CreateRoom,
    Ticket,
    Login,
}

pub struct Limiters {
    rooms: Pair,
    tickets: Pair,
    logins: Pair,
    clock: DefaultClock,
}

/// One limiter per person and one (more generous) per client address.
struct Pair {
    person: DefaultKeyedRateLimiter<Key>,
    address: DefaultKeyedRateLimiter<Key>,
}

impl Pair {
    fn new(per_person: u32, per: Duration) -> Pair {
        let quota = |n: u32| {
            let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
            // `n` per period, all of them usable at once.
            Quota::with_period(per / n.get())
                .unwrap_or_else(|| Quota::per_second(n))
                .allow_burst(n)
        };
        Pair {
            person: RateLimiter::keyed(quota(per_person)),
            address: RateLimiter::keyed(quota(per_person.saturating_mul(RateLimits::PER_ADDRESS))),
        }
    }
}

impl Limiters {
    pub fn new(limits: &RateLimits) -> Limiters {
        Limiters {
            rooms: Pair::new(limits.rooms_per_hour, Duration::from_secs(3600)),
            tickets: Pair::new(limits.tickets_per_minute, Duration::from_secs(60)),
            logins: Pair::new(limits.logins_per_minute, Duration::from_secs(60)),
            clock: DefaultClock::default(),
        }
    }

    fn pair(&self, action: Action) -> &Pair {
        match action {
            Action::CreateRoom => &self.rooms,
            Action::Ticket => &self.tickets,
            Action::Login => &self.logins,
        }
    }

    /// Counts one request from this client address; 429 when it is over its limit.
    pub fn check_address(&self, action: Action, addr: IpAddr) -> Result<(), ApiError> {
        self.check(&self.pair(action).address, &Key::Addr(bucket_of(addr)))
    }

    /// Counts one request by this user.
    pub fn check_user(&self, action: Action, user: onair_shared::UserId) -> Result<(), ApiError> {
        self.check(&self.pair(action).person, &Key::User(user.0))
    }

    /// Counts one login attempt for this account name (dev login: the lower-cased name).
    pub fn check_account(&self, action: Action, account: &str) -> Result<(), ApiError> {
        self.check(&self.pair(action).person, &Key::Account(account.to_owned()))
    }

    fn check(&self, limiter: &DefaultKeyedRateLimiter<Key>, key: &Key) -> Result<(), ApiError> {
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets keys whose limits have fully refilled (run now and then: keyed state grows with
    /// every client seen).
    pub fn prune(&self) {
        for pair in [&self.rooms, &self.tickets, &self.logins] {
            pair.person.retain_recent();
            pair.address.retain_recent();
            pair.person.shrink_to_fit();
            pair.address.shrink_to_fit();
        }
    }
}

/// IPv4 addresses count one by one; IPv6 by their /64.
fn bucket_of(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The client's address (see the module's notes on trusted proxies).
pub fn client_addr(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(client_addr_from(
        peer,
        forwarded_for(req).as_deref(),
        trusted,
    ))
}

fn forwarded_for(req: &HttpRequest) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

pub fn client_addr_from(peer: IpAddr, forwarded: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(list) = forwarded else {
        return peer;
    };
    let mut last = peer;
    for hop in list.rsplit(',').map(str::trim) {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Garbage from the client's side of the chain: stop at the last good hop.
            return last;
        };
        if !is_trusted(&ip) {
            return ip;
        }
        last = ip;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // Not from a proxy: the header is the client's own invention.
        assert_eq!(
            client_addr_from(ip("203.0.113.9"), Some("1.2.3.4"), &trusted),
            ip("203.0.113.9")
        );
        // Nobody trusted (the default): the connection's address.
        assert_eq!(
            client_addr_from(ip("10.0.0.2"), Some("1.2.3.4"), &[]),
            ip("10.0.0.2")
        );
        // From the proxy: the rightmost address the proxies did not add.
        assert_eq!(
            client_addr_from(
                ip("10.0.0.2"),
                Some("6.6.6.6, 198.51.100.7, 10.0.0.9"),
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_addr_from(ip("10.0.0.2"), None, &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_addr_from(ip("10.0.0.2"), Some("junk, 10.0.0.3"), &trusted),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn limits_refuse_with_a_retry_time_and_keep_people_apart() {
        let limits = Limiters::new(&RateLimits {
            rooms_per_hour: 2,
            tickets_per_minute: 3,
            logins_per_minute: 1,
        });
        let me = onair_shared::UserId(1);
        assert!(limits.check_user(Action::CreateRoom, me).is_ok());
        assert!(limits.check_user(Action::CreateRoom, me).is_ok());
        match limits.check_user(Action::CreateRoom, me) {
            Err(ApiError::RateLimited { retry_after_secs }) => {
                assert!((1..=1800).contains(&retry_after_secs), "{retry_after_secs}")
            }
            other => panic!("{other:?}"),
        }
        assert!(limits
            .check_user(Action::CreateRoom, onair_shared::UserId(2))
            .is_ok());
        assert!(
            limits.check_user(Action::Ticket, me).is_ok(),
            "each action has its own"
        );
        // An address gets five times a person's share.
        let addr = ip("192.0.2.1");
        assert_eq!(
            (0..20)
                .filter(|_| limits.check_address(Action::Ticket, addr).is_ok())
                .count(),
            15
        );
        // One IPv6 /64 is one client.
        assert!(limits
            .check_address(Action::Login, ip("2001:db8::1"))
            .is_ok());
        let refused = (0..10)
            .filter(|i| {
                limits
                    .check_address(Action::Login, ip(&format!("2001:db8::{:x}", i + 2)))
                    .is_err()
            })
            .count();
        assert_eq!(refused, 6);
        limits.prune();
    }
}
