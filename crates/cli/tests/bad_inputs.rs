//! End-to-end: runs the built `vaebio` binary on every case of `testdata/bad/`, driven by the
//! tables in `testdata/bad/README.md`, so the documentation and the test cannot drift apart.
//!
//! A bad case must exit with the documented code, print exactly one line starting `error:`
//! that names the case file and contains the documented fragment (file and line/record),
//! never panic, and leave nothing in the output directory. A "must work" case must succeed
//! and write its output.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bad_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/bad")
}

/// One row of a README table.
struct Case {
    name: String,
    run: String,
    exit: i32,
    fragment: String,
}

/// The rows of every `| case | run | what is wrong | exit | message contains |` table.
fn cases() -> Vec<Case> {
    let readme = fs::read_to_string(bad_dir().join("README.md")).expect("testdata/bad/README.md");
    readme
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            assert_eq!(cells.len(), 5, "README row with 5 cells: {line}");
            Case {
                name: cells[0].to_string(),
                run: cells[1].to_string(),
                exit: cells[3].parse().expect("exit code"),
                fragment: cells[4].to_string(),
            }
        })
        .collect()
}

/// The command line of a case: `{case}` is the case file, `{out}` the output path,
/// `{testdata}` the testdata directory.
fn arguments(case: &Case, out: &Path) -> Vec<String> {
    let testdata = bad_dir().join("..");
    case.run
        .split_whitespace()
        .map(|word| {
            word.replace("{case}", &bad_dir().join(&case.name).to_string_lossy())
                .replace("{out}", &out.to_string_lossy())
                .replace("{testdata}", &testdata.to_string_lossy())
        })
        .collect()
}

#[test]
fn every_bad_input_fails_cleanly_and_every_must_work_case_works() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        assert!(
            bad_dir().join(&case.name).exists(),
            "case file {} is missing",
            case.name
        );
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join(if case.run.starts_with("train") {
            "model"
        } else {
            "out.tsv"
        });
        let args = arguments(case, &out);
        let output = Command::new(env!("CARGO_BIN_EXE_vaebio"))
            .args(&args)
            .arg("--quiet")
            .output()
            .expect("the vaebio binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut problems = Vec::new();
        if output.status.code() != Some(case.exit) {
            problems.push(format!(
                "exit {:?}, expected {}",
                output.status.code(),
                case.exit
            ));
        }
        if stderr.contains("panicked") {
            problems.push("panicked".to_string());
        }
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        if case.exit == 0 {
            if !out.exists() {
                problems.push("no output written".to_string());
            }
        } else {
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            if errors.len() != 1 || stderr.lines().count() != 1 {
                problems.push(format!(
                    "{} lines on stderr, {} `error:` lines",
                    stderr.lines().count(),
                    errors.len()
                ));
            }
            let first_component = case.name.split('/').next().unwrap_or_default();
            if !errors.iter().any(|e| e.contains(first_component)) {
                problems.push(format!("error does not name {first_component}"));
            }
            if !errors.iter().any(|e| e.contains(&case.fragment)) {
                problems.push(format!("error lacks `{}`", case.fragment));
            }
            if !left.is_empty() {
                problems.push(format!("left {left:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n    stderr: {}",
                case.name,
                problems.join("; "),
                stderr.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
