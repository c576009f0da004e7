//! `rampart db build|update|status`, and opening the database for scans.

use crate::args::{DbBuildArgs, DbCommand, DbStatusArgs, DbUpdateArgs};
use crate::progress::Progress;
use anyhow::{Context, Result};
use rampart_core::DatabaseInfo;
use rampart_vuln::Database;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// `$XDG_CACHE_HOME/rampart` or `~/.cache/rampart`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("rampart")
}

/// Where the database lives unless --db or $RAMPART_DB says otherwise.
pub fn default_db_path() -> PathBuf {
    cache_dir().join("db").join("rampart.db")
}

/// Opens and verifies the database (errors already tell the user what to do).
pub fn open_db(path: &Path) -> Result<Database> {
    Ok(Database::open(path)?)
}

/// The report's view of a database.
pub fn database_info(db: &Database) -> DatabaseInfo {
    let meta = db.metadata();
    let age_hours = meta
        .built_at
        .parse::<jiff::Timestamp>()
        .map(|t| {
            (jiff::Timestamp::now().as_millisecond() - t.as_millisecond()) as f64 / 3_600_000.0
        })
        .unwrap_or(0.0);
    DatabaseInfo {
        path: db.path().display().to_string(),
        format_version: meta.format_version,
        built_at: meta.built_at.clone(),
        age_hours,
        checksum: db.checksum().to_string(),
        sources: meta.sources.clone(),
    }
}

pub fn run(cmd: DbCommand) -> Result<ExitCode> {
    match cmd {
        DbCommand::Build(a) => build(&a),
        DbCommand::Update(a) => update(&a),
        DbCommand::Status(a) => status(&a),
    }
}

fn build(a: &DbBuildArgs) -> Result<ExitCode> {
    let out = a.out.clone().unwrap_or_else(default_db_path);
    let started = Instant::now();
    let summary = build_from(&a.from, &out, a.quiet)?;
    if !a.quiet {
        println!(
            "built {} ({} advisories, {} packages, {} KEV, {} EPSS, {:.1} MB) in {:.1} s",
            out.display(),
            summary.metadata.advisories,
            summary.metadata.index_keys,
            summary.metadata.kev_entries,
            summary.metadata.epss_entries,
            summary.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads feeds from `from` and writes the database to `out`, reporting unusable files as warnings.
pub fn build_from(from: &Path, out: &Path, quiet: bool) -> Result<rampart_vuln::db::BuildSummary> {
    if !from.is_dir() {
        anyhow::bail!("{} is not a folder of advisory feeds", from.display());
    }
    let progress = Progress::bar(quiet, "reading feeds", 0);
    let feeds = rampart_vuln::ingest::load_dir(from, &|done, total| {
        progress.set_total(total);
        progress.set(done);
    });
    progress.finish();
    if !quiet {
        for w in feeds.warnings.iter().take(20) {
            eprintln!("warning: {}: {}", w.path.display(), w.error);
        }
        if feeds.warnings.len() > 20 {
            eprintln!(
                "warning: … and {} more unusable files",
                feeds.warnings.len() - 20
            );
        }
    }
    rampart_vuln::db::build(&feeds, out, env!("CARGO_PKG_VERSION"))
        .with_context(|| format!("writing {}", out.display()))
}

fn update(a: &DbUpdateArgs) -> Result<ExitCode> {
    let db = a.db.clone().unwrap_or_else(default_db_path);
    let opts = rampart_vuln::update::UpdateOptions::new(
        a.mirror.clone(),
        db.clone(),
        cache_dir().join("feeds"),
    );
    let quiet = a.quiet;
    let summary =
        rampart_vuln::update::update(&opts, &|feed: &str, done: u64, total: Option<u64>| {
            if !quiet {
                match total {
                    Some(t) => eprint!("\r{feed}: {done}/{t} bytes   "),
                    None => eprint!("\r{feed}: {done} bytes   "),
                }
            }
        })?;
    if !quiet {
        eprintln!();
        println!(
            "updated {}: {} feeds, {} advisories, {:.1} MB",
            db.display(),
            summary.feeds,
            summary.build.metadata.advisories,
            summary.build.bytes as f64 / 1e6
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status(a: &DbStatusArgs) -> Result<ExitCode> {
    let path = a.db.clone().unwrap_or_else(default_db_path);
    let started = Instant::now();
    let db = open_db(&path)?;
    let open_ms = started.elapsed().as_secs_f64() * 1000.0;
    let info = database_info(&db);
    let meta = db.metadata();
    let stale = info.age_hours > a.max_age as f64;
    if a.json {
        let v = serde_json::json!({
            "path": info.path, "format_version": info.format_version, "built_at": info.built_at,
            "built_by": meta.built_by, "age_hours": info.age_hours, "stale": stale,
            "checksum": info.checksum, "bytes": db.size(), "open_ms": open_ms,
            "advisories": meta.advisories, "packages": meta.index_keys,
            "kev_entries": meta.kev_entries, "epss_entries": meta.epss_entries, "sources": meta.sources,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("database:   {}", info.path);
        println!("format:     {}", info.format_version);
        println!(
            "built:      {} by rampart {} ({:.1} days ago)",
            info.built_at,
            meta.built_by,
            info.age_hours / 24.0
        );
        println!(
            "size:       {:.1} MB, opened and verified in {open_ms:.1} ms",
            db.size() as f64 / 1e6
        );
        println!("checksum:   blake3:{}", info.checksum);
        println!(
            "advisories: {} over {} packages",
            meta.advisories, meta.index_keys
        );
        println!(
            "enrichment: {} KEV entries, {} EPSS scores",
            meta.kev_entries, meta.epss_entries
        );
        println!("sources:");
        for (name, n) in &meta.sources {
            println!("  {name:<24} {n:>8}");
        }
    }
    if stale {
        eprintln!(
            "warning: the database is older than {} hours; run `rampart db update`",
            a.max_age
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
