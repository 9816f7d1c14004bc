//! `cargo xtask dist`: builds `onair-web-ui` for wasm32 (profile `wasm-release`: optimised for
//! size), runs wasm-bindgen (the
//! library, pinned to the same version as the `wasm-bindgen` crate the UI links) and copies
//! `web-ui/static/*` beside the output, giving a directory any static file server can serve.

use crate::workspace_root;
use anyhow::{bail, Context, Result};
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";
const CRATE: &str = "onair-web-ui";
/// The name wasm-bindgen gives its outputs: `onair_web_ui.js` and `onair_web_ui_bg.wasm`.
pub const OUT_NAME: &str = "onair_web_ui";

/// `cargo xtask dist`: build and report where the bundle is and how big it is.
pub fn run() -> Result<()> {
    let dist = build()?;
    println!("web UI bundle: {}", dist.display());
    let mut total = 0u64;
    for name in [format!("{OUT_NAME}_bg.wasm"), format!("{OUT_NAME}.js")] {
        let size = fs::metadata(dist.join(&name))
            .with_context(|| format!("missing {name} in {}", dist.display()))?
            .len();
        total += size;
        println!("  {name:<24} {:>10}", human(size));
    }
    println!("  {:<24} {:>10}", "total (wasm + js)", human(total));
    Ok(())
}

/// Builds the bundle and returns the `web-ui/dist` directory it was written to.
pub fn build() -> Result<PathBuf> {
    let root = workspace_root();
    crate::setup::ensure_wasm_target()?;

    let status = crate::cargo(&root)
        .args([
            "build",
            "-p",
            CRATE,
            "--lib",
            "--target",
            TARGET,
            "--profile",
            "wasm-release",
        ])
        .status()
        .context("could not run cargo")?;
    if !status.success() {
        bail!("building {CRATE} for {TARGET} failed ({status})");
    }

    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
    let wasm = target_dir
        .join(TARGET)
        .join("wasm-release")
        .join(format!("{}.wasm", CRATE.replace('-', "_")));
    if !wasm.is_file() {
        bail!("cargo succeeded but {} is missing", wasm.display());
    }

    let web_ui = root.join("web-ui");
    let dist = web_ui.join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("cannot clear {}", dist.display()))?;
    }
    fs::create_dir_all(&dist).with_context(|| format!("cannot create {}", dist.display()))?;

    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        // The library defaults to omitting it (the CLI does not): keep `init()` with no
        // argument loading `onair_web_ui_bg.wasm` next to the JS.
        .omit_default_module_path(false)
        .out_name(OUT_NAME)
        // Function names only help a debugger; they are a large share of the module.
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(&dist)
        .context("wasm-bindgen failed")?;

    copy_dir(&web_ui.join("static"), &dist)?;
    optimize(&dist.join(format!("{OUT_NAME}_bg.wasm")));
    Ok(dist)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let entries = fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&dest)?;
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest).with_context(|| {
                format!(
                    "cannot copy {} to {}",
                    entry.path().display(),
                    dest.display()
                )
            })?;
        }
    }
    Ok(())
}

/// Runs `wasm-opt -Os` in place when it is on PATH. Optional: a failure only warns and keeps
/// the unoptimised (still working) module.
fn optimize(wasm: &Path) {
    if env::var_os("ONAIR_NO_WASM_OPT").is_some() {
        return;
    }
    let on_path = env::var_os("PATH")
        .map(|p| env::split_paths(&p).any(|d| d.join("wasm-opt").is_file()))
        .unwrap_or(false);
    if !on_path {
        return;
    }
    let tmp = wasm.with_extension("opt.wasm");
    // Rust's wasm32 target emits these proposals by default; wasm-opt must be told so.
    let status = Command::new("wasm-opt")
        .arg("-Os")
        .args([
            "--enable-bulk-memory",
            "--enable-nontrapping-float-to-int",
            "--enable-sign-ext",
            "--enable-mutable-globals",
            "--enable-reference-types",
            "--enable-multivalue",
        ])
        .arg(wasm)
        .arg("-o")
        .arg(&tmp)
        .status();
    match status {
        Ok(s) if s.success() => {
            if let Err(e) = fs::rename(&tmp, wasm) {
                eprintln!(
                    "warning: could not replace {} with the optimised module: {e}",
                    wasm.display()
                );
            }
        }
        other => {
            let _ = fs::remove_file(&tmp);
            eprintln!("warning: wasm-opt failed ({other:?}); keeping the unoptimised module");
        }
    }
}

fn human(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}
