//! End-to-end on protein families: `train --msa` and `score` (single mutants, `--classify`,
//! ensembles), Stockholm input and `--preset eve`, run through the built `vaebio` binary on
//! `testdata/`, with their bad inputs.

mod common;

use std::fs;
use std::path::Path;

use common::{fails, model_config, ok, read_tsv, s, score, testdata, train_family};

#[test]
fn msa_train_and_score_mutations() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let msa = testdata("family.a2m");
    ok(&[
        "train",
        "--msa",
        s(&msa),
        "--hidden",
        "32",
        "--latent-dim",
        "4",
        "--epochs",
        "5",
        "-q",
        "-o",
        s(&model),
    ]);
    // The EVE recipe stops on the held-out sequences and keeps the best epoch's weights;
    // patience 10 (docs/recipes/proteins.md).
    let config = model_config(&model);
    let stopping = &config["train"]["early_stopping"];
    assert_eq!(
        (
            stopping["patience"].as_u64(),
            stopping["restore_best"].as_bool()
        ),
        (Some(10), Some(true))
    );
    let mutations = dir.path().join("muts.txt");
    // Focus SYNTH_HUMAN/5-127 starts QREV...: Q5, R6, E7, V8.
    fs::write(&mutations, "mutant\nQ5A\n# a comment\nR6K\nE7D:V8I\n").unwrap();
    let scores = dir.path().join("scores.tsv");
    ok(&[
        "score",
        "--model",
        s(&model),
        "--msa",
        s(&msa),
        "--mutations",
        s(&mutations),
        "--samples",
        "4",
        "-o",
        s(&scores),
    ]);
    let (header, rows) = read_tsv(&scores);
    assert_eq!(header, ["id", "delta_elbo"]);
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["Q5A", "R6K", "E7D:V8I"]);
    assert!(rows.iter().all(|(_, v)| v[0].is_finite()));
    classify_with_eve_mixture(&model, &msa, &mutations, dir.path());

    let bad = dir.path().join("bad.tsv");
    // A wild-type mismatch (R6, not G6); outside the focus columns; a double mutant with one
    // part on an insert column; the same mutation twice: each a one-line error naming the
    // line, before any scoring, nothing written.
    for (lines, needle) in [
        ("Q5A\nG6A\n", "muts.txt:line 2"),
        ("Q5A\nA500V\n", "muts.txt:line 2:"),
        // Focus residues 36-38 (lower case, `kad`) are insert columns, not modelled.
        ("E7D:K36A\n", "position 36 is not a focus column"),
        (
            "Q5A\nR6K\nQ5A\n",
            "muts.txt:line 3: 'Q5A' was given before, on line 1",
        ),
    ] {
        fs::write(&mutations, lines).unwrap();
        let args = [
            "score",
            "--model",
            s(&model),
            "--msa",
            s(&msa),
            "--mutations",
            s(&mutations),
            "-o",
            s(&bad),
        ];
        fails(&args, 2, needle);
        assert!(!bad.exists());
    }
}

/// `score --classify`: every single mutant of the 120 focus columns (120 × 19 = 2,280) feeds
/// the mixture (fitted as scikit-learn does: tested in vaebio-analysis); each given mutation
/// gets a probability in [0, 1], an entropy at most ln 2, and the class EVE's cut-off gives it (75% retained: entropy above
/// 0.6272 is Uncertain; 100%: nothing is).
fn classify_with_eve_mixture(model: &Path, msa: &Path, mutations: &Path, dir: &Path) {
    fs::write(mutations, "Q5A\nR6K\nE7D:V8I\nQ5W\n").unwrap();
    let out = dir.join("classes.tsv");
    let run_with = |retained: &str| {
        let run = ok(&[
            "score",
            "--model",
            s(model),
            "--msa",
            s(msa),
            "--mutations",
            s(mutations),
            "--samples",
            "4",
            "--classify",
            "--retained",
            retained,
            "-o",
            s(&out),
        ]);
        let text = fs::read_to_string(&out).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("id\tdelta_elbo\teve_score\tuncertainty\tclass")
        );
        let rows: Vec<(String, f64, f64, f64, String)> = lines
            .map(|line| {
                let f: Vec<&str> = line.split('\t').collect();
                let num = |i: usize| f[i].parse::<f64>().unwrap();
                (f[0].to_string(), num(1), num(2), num(3), f[4].to_string())
            })
            .collect();
        (String::from_utf8_lossy(&run.stderr).to_string(), rows)
    };
    let (summary, rows) = run_with("75");
    assert!(
        summary.contains("mixture on 2280 single mutants"),
        "{summary}"
    );
    assert_eq!(rows.len(), 4);
    for (id, _, score, uncertainty, class) in &rows {
        assert!((0.0..=1.0).contains(score), "{id}: {score}");
        assert!(
            *uncertainty <= std::f64::consts::LN_2 + 1e-12,
            "{id}: {uncertainty}"
        );
        let expected = if *uncertainty > 0.6272364669515783 {
            "Uncertain"
        } else if *score > 0.5 {
            "Pathogenic"
        } else {
            "Benign"
        };
        assert_eq!(class, expected, "{id}");
    }
    let (_, all) = run_with("100");
    assert!(all.iter().all(|r| r.4 != "Uncertain"), "{all:?}");
    fs::remove_file(&out).unwrap();
    fails(
        &[
            "score",
            "--model",
            s(model),
            "--msa",
            s(msa),
            "--mutations",
            s(mutations),
            "--classify",
            "--retained",
            "33",
            "-o",
            s(&out),
        ],
        2,
        "--retained 33: EVE has cut-offs for 10, 20",
    );
    assert!(!out.exists());
}

/// `train --ensemble 2`: two members with seeds 5 and 6 in one directory; `score` on the
/// ensemble writes the mean of the members' own ΔELBO; commands that need one model name a
/// member; ensembles are for alignments only.
#[test]
fn an_ensemble_scores_the_mean_of_its_members() {
    let dir = tempfile::tempdir().unwrap();
    let msa = testdata("family.a2m");
    let ensemble = dir.path().join("ensemble");
    let small = [
        "--hidden",
        "16",
        "--latent-dim",
        "2",
        "--epochs",
        "2",
        "--seed",
        "5",
        "-q",
    ];
    let mut args = vec![
        "train",
        "--msa",
        s(&msa),
        "--ensemble",
        "2",
        "-o",
        s(&ensemble),
    ];
    args.extend(small);
    ok(&args);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ensemble.join("ensemble.json")).unwrap()).unwrap();
    assert_eq!(manifest["seeds"], serde_json::json!([5, 6]));
    assert_eq!(model_config(&ensemble.join("member_2"))["vae"]["seed"], 6);
    let scored = |model: &Path, name: &str| {
        score(model, dir.path(), name);
        read_tsv(&dir.path().join(name)).1
    };
    let mean = scored(&ensemble, "mean.tsv");
    let one = scored(&ensemble.join("member_1"), "one.tsv");
    let two = scored(&ensemble.join("member_2"), "two.tsv");
    for ((m, a), b) in mean.iter().zip(&one).zip(&two) {
        let expected = (a.1[0] + b.1[0]) / 2.0;
        assert!(
            (m.1[0] - expected).abs() <= 1e-5 * expected.abs().max(1.0),
            "{m:?} {a:?} {b:?}"
        );
    }
    assert_ne!(one, two, "the members differ");
    let latent = dir.path().join("latent.tsv");
    fails(
        &[
            "encode",
            "--model",
            s(&ensemble),
            "--msa",
            s(&msa),
            "-o",
            s(&latent),
        ],
        2,
        "an ensemble of models (vaebio train --ensemble)",
    );
    assert!(!latent.exists());
    let contigs = testdata("contigs.fa");
    let other = dir.path().join("other");
    let mut args = vec![
        "train",
        "--fasta",
        s(&contigs),
        "--ensemble",
        "2",
        "-o",
        s(&other),
    ];
    args.extend(small);
    fails(&args, 2, "use it with --msa");
    let mut args = vec![
        "train",
        "--msa",
        s(&msa),
        "--ensemble",
        "0",
        "-o",
        s(&other),
    ];
    args.extend(small);
    fails(&args, 2, "--ensemble 0: give 2 to 100 members");
    assert!(!other.exists());
}

#[test]
fn stockholm_alignment_trains_and_scores_with_its_format_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let sto = testdata("family_rf.sto");
    ok(&[
        "train",
        "--msa",
        s(&sto),
        "--msa-format",
        "sto",
        "--epochs",
        "2",
        "-q",
        "-o",
        s(&model),
    ]);
    assert_eq!(model_config(&model)["featurization"]["msa_format"], "sto");
    // Focus SYN1_HUMAN/3-16 starts MKVLA: M3, K4, V5.
    let mutations = dir.path().join("muts.txt");
    fs::write(&mutations, "K4R\nM3A:V5I\n").unwrap();
    let scores = dir.path().join("scores.tsv");
    ok(&[
        "score",
        "--model",
        s(&model),
        "--msa",
        s(&sto),
        "--mutations",
        s(&mutations),
        "--samples",
        "2",
        "-o",
        s(&scores),
    ]);
    let (_, rows) = read_tsv(&scores);
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(names, ["K4R", "M3A:V5I"]);
    assert!(rows.iter().all(|(_, v)| v[0].is_finite()));
}

/// `--preset eve`: EVE's Bayesian decoder and schedule (here cut to 2 epochs), saved in the
/// config; scores average over weight draws and repeat exactly; other input refuses it.
#[test]
fn eve_preset_trains_a_bayesian_decoder_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train_family(&model, &["--preset", "eve"]);
    let config = model_config(&model);
    let decoder = &config["vae"]["decoder"];
    assert_eq!(decoder["kind"], "bayesian");
    assert_eq!(decoder["dictionary"], 40);
    assert_eq!(decoder["temperature"], true);
    let train = &config["train"];
    assert_eq!(train["learning_rate"].as_f64(), Some(1e-4));
    assert_eq!(train["batch_size"].as_u64(), Some(256));
    assert!(train["early_stopping"].is_null());
    // three finite scores (checked by `score`), the same on a second run
    let scores = score(&model, dir.path(), "a.tsv");
    assert_eq!(scores, score(&model, dir.path(), "b.tsv"));
    fails(
        &[
            "embed",
            "--fasta",
            s(&testdata("contigs.fa")),
            "--preset",
            "eve",
            "-q",
        ],
        2,
        "--preset eve is for protein family alignments (--msa)",
    );
}
