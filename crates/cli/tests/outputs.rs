//! End-to-end: every file and directory vaebio writes gets the permissions the user's umask
//! gives, like a file the user creates (temporary-file libraries default to owner-only).
#![cfg(unix)]

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{ok, s, testdata};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn outputs_get_the_permissions_the_umask_gives() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // What the umask allows, shown by a file and a directory created the ordinary way.
    fs::write(root.join("reference"), b"x").unwrap();
    fs::create_dir(root.join("reference_dir")).unwrap();
    let (file_mode, dir_mode) = (
        mode(&root.join("reference")),
        mode(&root.join("reference_dir")),
    );

    let contigs = testdata("contigs.fa");
    let (latent, model, bins, fastas, plot) = (
        root.join("latent.tsv"),
        root.join("model"),
        root.join("bins.tsv"),
        root.join("bins"),
        root.join("latent.png"),
    );
    ok(&[
        "embed",
        "--fasta",
        s(&contigs),
        "--epochs",
        "2",
        "--quiet",
        "-o",
        s(&latent),
        "--save-model",
        s(&model),
    ]);
    ok(&[
        "bin",
        "--fasta",
        s(&contigs),
        "--latent",
        s(&latent),
        "--quiet",
        "-o",
        s(&bins),
        "--fasta-out",
        s(&fastas),
        "--min-bin-size",
        "1",
    ]);
    ok(&["plot", "--latent", s(&latent), "-o", s(&plot)]);

    for file in [
        latent.clone(),
        bins,
        plot,
        model.join("model.safetensors"),
        model.join("config.json"),
        model.join("history.tsv"),
    ] {
        assert_eq!(mode(&file), file_mode, "{}", file.display());
    }
    assert_eq!(mode(&model), dir_mode, "model directory");
    assert_eq!(mode(&fastas), dir_mode, "--fasta-out directory");
    for entry in fs::read_dir(&fastas).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), file_mode, "{}", path.display());
    }
    // Nothing but the outputs is left beside them (no temporary stand-ins).
    let mut names: Vec<String> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "bins",
            "bins.tsv",
            "latent.png",
            "latent.tsv",
            "model",
            "reference",
            "reference_dir"
        ]
    );
}
