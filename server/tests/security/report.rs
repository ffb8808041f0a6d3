//! The table the security run prints and writes.

use crate::support::Backend;

pub struct Row {
    pub goal: &'static str,
    pub setting: String,
    pub figure: String,
    pub met: bool,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

/// Where rows are measured: one database, or "both" for goals that do not depend on it.
pub fn on(db: Backend) -> String {
    match db {
        Backend::Sqlite => "SQLite, 2 instances".into(),
        Backend::Postgres => "PostgreSQL, 2 instances".into(),
    }
}

impl Report {
    /// Record a measured goal; printed at once so a later hang still leaves the figures so far.
    pub fn add(&mut self, goal: &'static str, setting: impl Into<String>, figure: impl Into<String>, met: bool) {
        let row = Row { goal, setting: setting.into(), figure: figure.into(), met };
        eprintln!("{} [{}] {} — {}", row.goal, row.setting, row.figure, if row.met { "met" } else { "MISSED" });
        self.rows.push(row);
    }

    /// G17 is measured in Chromium (end2end/harness.mjs counts `securitypolicyviolation` events in every
    /// page and flow and fails the browser suite on any); here only its header half is checked, by
    /// g15_g18_every_route. The row says where the figure comes from.
    pub fn g17_note(&mut self) {
        self.add(
            "G17",
            "Chromium suite",
            "nonce CSP on every page (checked above); violations counted by the browser suite, which fails on any (see its output: \"G17: … 0 violations\")",
            true,
        );
    }

    /// The goal's rows: printed, written to `target/security-report/<line>-<test>.md` for
    /// `.ci/security-report` to join in the order of `main.rs`, and asserted (the test fails naming
    /// what it missed).
    pub fn finish(self, test: &str, line: u32) {
        let mut rows = String::new();
        for r in &self.rows {
            rows.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.goal,
                r.setting,
                r.figure.replace('|', "\\|"),
                if r.met { "met" } else { "**missed**" }
            ));
        }
        println!("\n{test}:\n\n{rows}");
        let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
        let dir = std::path::Path::new(&target).join("security-report");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{line:04}-{test}.md")), &rows);
        assert!(!self.rows.is_empty(), "{test} measured nothing");
        let missed: Vec<String> =
            self.rows.iter().filter(|r| !r.met).map(|r| format!("{} [{}]: {}", r.goal, r.setting, r.figure)).collect();
        assert!(missed.is_empty(), "goals missed:\n{}", missed.join("\n"));
    }
}
