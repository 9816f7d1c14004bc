//! Bulk writing: multi-row `INSERT`s built as text (every value is a number or a string this
//! tool generated), produced on one thread and executed on one or more connections.
//!
//! On MySQL/MariaDB the secondary indexes of a table are dropped before it is filled and added
//! back afterwards in one `ALTER TABLE` (a sorted index build, many times faster than keeping
//! a random-order index up to date row by row once it outgrows the buffer pool); the table's
//! `SHOW CREATE TABLE` must read the same afterwards, or the seed fails.

use crate::db::DbConn;
use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::{MysqlConnection, QueryableByName, RunQueryDsl};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Collects rows into `INSERT` statements of `batch` rows and hands them to the writers.
pub struct Batcher {
    head: String,
    sql: String,
    rows: usize,
    batch: usize,
    tx: SyncSender<(String, usize)>,
}

impl Batcher {
    /// Adds one row: `values` is the text between the parentheses.
    pub fn row(&mut self, values: std::fmt::Arguments<'_>) {
        if self.rows == 0 {
            self.sql.push_str(&self.head);
        } else {
            self.sql.push(',');
        }
        self.sql.push('(');
        let _ = self.sql.write_fmt(values);
        self.sql.push(')');
        self.rows += 1;
        if self.rows >= self.batch {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.rows > 0 {
            let capacity = self.sql.capacity();
            let sql = std::mem::replace(&mut self.sql, String::with_capacity(capacity));
            // A closed channel means a writer failed; its error is reported by `load`.
            let _ = self.tx.send((sql, self.rows));
            self.rows = 0;
        }
    }
}

/// A string literal for SQL text. Only ever called on text this tool generated.
pub fn quote(s: &str) -> String {
    assert!(!s.contains('\\'), "generated text has no backslashes");
    format!("'{}'", s.replace('\'', "''"))
}

#[derive(QueryableByName)]
struct CreateTable {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "Create Table")]
    create: String,
}

fn show_create_table(conn: &mut MysqlConnection, table: &str) -> anyhow::Result<String> {
    let row: CreateTable = diesel::sql_query(format!("SHOW CREATE TABLE `{table}`"))
        .get_result(conn)
        .with_context(|| format!("SHOW CREATE TABLE {table}"))?;
    // The next id changes with the data; everything else must not.
    let normalised = row
        .create
        .split(' ')
        .filter(|w| !w.starts_with("AUTO_INCREMENT="))
        .collect::<Vec<_>>()
        .join(" ");
    Ok(normalised)
}

/// The secondary index definitions of a table, in order, as `SHOW CREATE TABLE` prints them
/// (`UNIQUE KEY `x` (...)`, `KEY `y` (...)`).
fn secondary_indexes(create: &str) -> Vec<(String, String)> {
    create
        .lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| l.starts_with("KEY ") || l.starts_with("UNIQUE KEY "))
        .filter_map(|l| {
            let name = l.split('`').nth(1)?.to_owned();
            Some((name, l.to_owned()))
        })
        .collect()
}

/// Writes rows into tables over `jobs` connections, reporting progress.
pub struct Loader {
    conns: Vec<DbConn>,
    batch: usize,
}

impl Loader {
    pub fn new(conns: Vec<DbConn>, batch: usize) -> Loader {
        assert!(!conns.is_empty());
        Loader { conns, batch }
    }

    pub fn is_mysql(&self) -> bool {
        matches!(self.conns[0], DbConn::Mysql(_))
    }

    pub fn conn(&mut self) -> &mut DbConn {
        &mut self.conns[0]
    }

    /// Fills `table` with the rows `produce` adds; returns the number of rows.
    pub fn load(
        &mut self,
        table: &str,
        columns: &str,
        expected: u64,
        produce: impl FnOnce(&mut Batcher) + Send,
    ) -> anyhow::Result<u64> {
        let started = Instant::now();
        let mysql = self.is_mysql();
        let mut restore = None;
        if let DbConn::Mysql(conn) = &mut self.conns[0] {
            let before = show_create_table(conn, table)?;
            let indexes = secondary_indexes(&before);
            if !indexes.is_empty() {
                let drop = indexes
                    .iter()
                    .map(|(name, _)| format!("DROP INDEX `{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                conn.batch_execute(&format!("ALTER TABLE `{table}` {drop}"))
                    .with_context(|| format!("dropping the indexes of {table}"))?;
                restore = Some((before, indexes));
            }
        }

        let head = format!("INSERT INTO {table} ({columns}) VALUES ");
        // Keep SQLite's statements small; MySQL's are sent whole (max_allowed_packet).
        let batch = if mysql {
            self.batch
        } else {
            self.batch.min(500)
        };
        let (tx, rx) = sync_channel::<(String, usize)>(2 * self.conns.len());
        let rx = Mutex::new(rx);
        let written = AtomicU64::new(0);
        let done = std::sync::atomic::AtomicBool::new(false);
        let result: anyhow::Result<()> = std::thread::scope(|s| {
            s.spawn(|| {
                let mut batcher = Batcher {
                    head,
                    sql: String::with_capacity(batch * 48),
                    rows: 0,
                    batch,
                    tx,
                };
                produce(&mut batcher);
                batcher.flush();
            });
            let writers: Vec<_> = self
                .conns
                .iter_mut()
                .map(|conn| s.spawn(|| write(conn, &rx, &written)))
                .collect();
            let reporter = s.spawn(|| {
                let mut last = Instant::now();
                while !done.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    if last.elapsed() >= Duration::from_secs(5) {
                        last = Instant::now();
                        let n = written.load(Ordering::Relaxed);
                        tracing::info!(
                            "  {table}: {n} / {expected} rows ({:.0}%), {:.0} rows/s",
                            100.0 * n as f64 / expected.max(1) as f64,
                            n as f64 / started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
            let mut result = Ok(());
            for w in writers {
                let r = w
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("writer panicked")));
                if result.is_ok() {
                    result = r;
                }
            }
            done.store(true, Ordering::Relaxed);
            let _ = reporter.join();
            result
        });
        result.with_context(|| format!("filling {table}"))?;
        let rows = written.load(Ordering::Relaxed);
        let insert_secs = started.elapsed().as_secs_f64();

        if let (Some((before, indexes)), DbConn::Mysql(conn)) = (restore, &mut self.conns[0]) {
            let index_started = Instant::now();
            let add = indexes
                .iter()
                .map(|(_, def)| format!("ADD {def}"))
                .collect::<Vec<_>>()
                .join(", ");
            conn.batch_execute(&format!("ALTER TABLE `{table}` {add}"))
                .with_context(|| format!("rebuilding the indexes of {table}"))?;
            let after = show_create_table(conn, table)?;
            if after != before {
                bail!("{table} differs from its migrated definition after the index rebuild:\nbefore: {before}\nafter: {after}");
            }
            conn.batch_execute(&format!("ANALYZE TABLE `{table}`"))?;
            tracing::info!(
                "  {table}: {} indexes rebuilt in {:.1} s",
                indexes.len(),
                index_started.elapsed().as_secs_f64()
            );
        }
        let total = started.elapsed().as_secs_f64();
        tracing::info!(
            "{table}: {rows} rows in {total:.1} s ({:.0} rows/s inserting, {:.0} rows/s overall)",
            rows as f64 / insert_secs.max(1e-9),
            rows as f64 / total.max(1e-9)
        );
        if rows != expected {
            bail!("{table}: wrote {rows} rows, expected {expected}");
        }
        Ok(rows)
    }
}

/// One writer: executes statements until the producer is done. SQLite groups them in
/// transactions (one per statement would sync each); MySQL commits each statement. After a
/// failure it keeps draining the channel, so the producer never blocks on a dead writer.
fn write(
    conn: &mut DbConn,
    rx: &Mutex<Receiver<(String, usize)>>,
    written: &AtomicU64,
) -> anyhow::Result<()> {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let mut in_transaction = 0usize;
    let mut failed: Option<anyhow::Error> = None;
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => bail!("a writer panicked"),
        };
        let Ok((sql, rows)) = next else { break };
        if failed.is_some() {
            continue;
        }
        let step = (|| -> anyhow::Result<()> {
            if sqlite && in_transaction == 0 {
                conn.batch_execute("BEGIN")?;
            }
            conn.batch_execute(&sql).map_err(|e| {
                let cut: String = sql.chars().take(300).collect();
                anyhow::anyhow!("{e} (statement: {cut}...)")
            })?;
            written.fetch_add(rows as u64, Ordering::Relaxed);
            if sqlite {
                in_transaction += 1;
                if in_transaction >= 100 {
                    conn.batch_execute("COMMIT")?;
                    in_transaction = 0;
                }
            }
            Ok(())
        })();
        if let Err(e) = step {
            failed = Some(e);
        }
    }
    if let Some(e) = failed {
        return Err(e);
    }
    if sqlite && in_transaction > 0 {
        conn.batch_execute("COMMIT")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_secondary_indexes_in_show_create_table() {
        let create = "CREATE TABLE `follows` (\n  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n  \
                      PRIMARY KEY (`id`),\n  UNIQUE KEY `follows_pair` (`follower_id`,`followee_id`),\n  \
                      KEY `users_ranking` (`banned`,`score_centi` DESC,`id`),\n  \
                      CONSTRAINT `f` FOREIGN KEY (`a`) REFERENCES `users` (`id`)\n) ENGINE=InnoDB";
        assert_eq!(
            secondary_indexes(create),
            vec![
                (
                    "follows_pair".to_owned(),
                    "UNIQUE KEY `follows_pair` (`follower_id`,`followee_id`)".to_owned()
                ),
                (
                    "users_ranking".to_owned(),
                    "KEY `users_ranking` (`banned`,`score_centi` DESC,`id`)".to_owned()
                ),
            ]
        );
        assert_eq!(quote("it's"), "'it''s'");
    }
}
