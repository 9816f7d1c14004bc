//! `onair-seed`: fills a database with a realistic data set for benchmarks.
//!
//! ```sh
//! cargo run --release -p onair-api-server --bin onair-seed -- \
//!     --database-url mysql://root@127.0.0.1:3306/onair_bench --users 1000000 --reset --verify
//! ```
//!
//! Seeded users are dev accounts: in dev mode, signing in as `seed0000042` is user 42.

use onair_api_server::config::Database;
use onair_api_server::seed::{self, SeedOptions};
use std::process::ExitCode;

const USAGE: &str = "\
usage: onair-seed --database-url URL --users N [options]
       onair-seed --database-url URL --verify-only

  --database-url URL      mysql://user:pass@host:3306/db, sqlite://PATH or a path
                          (default: $ONAIR_DATABASE_URL)
  --users N               users to create (at least 10)
  --reset                 drop and recreate the database first (otherwise it must be empty)
  --verify                check every invariant with SQL afterwards
  --verify-only           only check an existing database (seeded, or migrated from one)
  --seed S                random seed (default 1); the same seed gives the same data
  --celebrities N         users followed by 10-50% of everybody (default users/50000, at least 3)
  --median-following N   median number of users a user follows (default 20)
  --performers SHARE      share of users who perform in ranked rooms (default 0.3)
  --acts-per-user X       ranked acts per user (default 1.0)
  --batch N               rows per INSERT statement (default 5000)
  --jobs N                connections writing at once, MySQL only (default 2)
";

fn parse() -> Result<(Database, Option<SeedOptions>), String> {
    let mut url = std::env::var("ONAIR_DATABASE_URL").ok();
    let mut users: Option<u32> = None;
    let mut options = SeedOptions::new(10);
    let mut args = std::env::args().skip(1);
    fn value<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{name} needs a value"))?;
        v.parse()
            .map_err(|_| format!("{name}: {v:?} is not a valid value"))
    }
    let mut celebrities = None;
    let mut verify_only = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--database-url" => url = Some(value(&arg, args.next())?),
            "--users" => users = Some(value(&arg, args.next())?),
            "--reset" => options.reset = true,
            "--verify" => options.verify = true,
            "--verify-only" => verify_only = true,
            "--seed" => options.shape.seed = value(&arg, args.next())?,
            "--celebrities" => celebrities = Some(value(&arg, args.next())?),
            "--median-following" => options.shape.median_following = value(&arg, args.next())?,
            "--performers" => options.shape.performer_share = value(&arg, args.next())?,
            "--acts-per-user" => options.shape.acts_per_user = value(&arg, args.next())?,
            "--batch" => options.batch = value(&arg, args.next())?,
            "--jobs" => options.jobs = value(&arg, args.next())?,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if verify_only {
        let url = url.ok_or("--database-url is required")?;
        return Ok((Database::parse(&url)?, None));
    }
    let users = users.ok_or("--users is required")?;
    if users < 10 {
        return Err("--users must be at least 10".into());
    }
    let defaults = seed::plan::Shape::new(users, 0, 0);
    options.shape.users = users;
    options.shape.celebrities = celebrities.unwrap_or(defaults.celebrities);
    if !(0.0..=1.0).contains(&options.shape.performer_share)
        || options.shape.median_following < 1.0
        || options.shape.acts_per_user < 0.0
    {
        return Err(
            "--performers is a share (0-1), --median-following ≥ 1, --acts-per-user ≥ 0".into(),
        );
    }
    let url = url.ok_or("--database-url is required")?;
    let database = Database::parse(&url)?;
    Ok((database, Some(options)))
}

fn main() -> ExitCode {
    let _logs = onair_telemetry::logs::init("onair-seed", &Default::default());
    let (database, options) = match parse() {
        Ok(parsed) => parsed,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("onair-seed: {e}\n");
            }
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Some(options) = options else {
        return match seed::verify_database(&database) {
            Ok(()) => {
                println!("every check passed");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("onair-seed: {e:#}");
                ExitCode::FAILURE
            }
        };
    };
    match seed::run(&database, &options) {
        Ok(report) => {
            println!(
                "seeded in {:.1} s: {} users ({} ranked), {} follows, {} rooms, {} acts, {} act scores",
                report.seconds,
                report.users,
                report.ranked_users,
                report.follows,
                report.rooms,
                report.acts,
                report.act_scores
            );
            let celebrities: Vec<String> = report
                .celebrities
                .iter()
                .map(|(id, n)| format!("{id} ({n})"))
                .collect();
            println!("celebrities (followers): {}", celebrities.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("onair-seed: {e:#}");
            ExitCode::FAILURE
        }
    }
}
