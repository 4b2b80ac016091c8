//! Reads the committed fixtures that `anndata` wrote (`bench/make_h5ad.py`) and compares
//! them with the same counts read from `testdata/counts.tsv` and `testdata/counts_10x/`.

use super::*;
use crate::formats::hdf5::attr_text;
use crate::formats::mtx::{MtxOptions, read_10x_mtx};
use crate::formats::table::{ExpressionOptions, read_expression};
use crate::matrix::Storage;
use crate::testdata::{mutants, testdata};
use hdf5_pure::File;

fn tsv_counts() -> FeatureMatrix {
    read_expression(testdata("counts.tsv"), &ExpressionOptions::default()).unwrap()
}

fn layer(name: &str) -> H5adOptions {
    H5adOptions {
        layer: Some(name.into()),
        ..H5adOptions::default()
    }
}

#[test]
fn csr_x_csc_layer_and_gzip_equal_the_tsv_and_the_10x_directory() {
    let tsv = tsv_counts();
    let mtx = read_10x_mtx(testdata("counts_10x"), &MtxOptions::default()).unwrap();
    assert_eq!(mtx.to_dense(), tsv.to_dense());
    for (file, options) in [
        ("counts.h5ad", H5adOptions::default()),
        ("counts.h5ad", layer("counts")),
        ("counts_gzip.h5ad", H5adOptions::default()),
        ("counts_gzip.h5ad", layer("counts")),
        ("counts_lognorm.h5ad", layer("counts")),
    ] {
        let matrix = read_h5ad(testdata(file), &options).unwrap();
        assert_eq!(matrix.row_names(), tsv.row_names(), "{file} {options:?}");
        assert_eq!(matrix.col_names(), tsv.col_names(), "{file} {options:?}");
        assert_eq!(matrix.to_dense(), tsv.to_dense(), "{file} {options:?}");
        // Sparse in, sparse kept: the same CSR as the 10x reader builds.
        assert_eq!(matrix.storage(), mtx.storage(), "{file} {options:?}");
        assert!(matrix.is_integer_counts());
    }
}

#[test]
fn dense_float_x_is_read_as_real_values() {
    let matrix = read_h5ad(testdata("counts_lognorm.h5ad"), &H5adOptions::default()).unwrap();
    assert!(matches!(matrix.storage(), Storage::Dense(_)));
    assert!(!matrix.is_integer_counts());
    // log1p(count / library * 1e4), as the script computed it (float32).
    let counts = tsv_counts();
    let dense = counts.to_dense();
    let row = &dense[..counts.n_cols()];
    let library: f64 = row.iter().map(|&v| f64::from(v)).sum();
    let expected = (f64::from(row[0]) / library * 1e4).ln_1p();
    assert!((f64::from(matrix.to_dense()[0]) - expected).abs() < 1e-5);
}

#[test]
fn obs_columns_categorical_and_string_and_var_mask() {
    let file = AnnData::open(testdata("counts.h5ad")).unwrap();
    assert_eq!(file.obs_columns().unwrap(), ["batch", "note"]);
    assert_eq!(file.layers(), ["counts"]);
    let batch = file.obs_column("batch").unwrap();
    assert_eq!(batch.len(), 40);
    assert_eq!(&batch[..3], ["A", "B", "A"]);
    assert_eq!(
        &file.obs_column("note").unwrap()[..4],
        ["note_0", "note_1", "note_2", "note_0"]
    );
    let flags = file.var_flags("highly_variable").unwrap();
    let kept = flags.iter().filter(|&&flag| flag).count();
    assert!(kept > 0 && kept < 60);
    let options = H5adOptions {
        var_mask: Some("highly_variable".into()),
        ..H5adOptions::default()
    };
    let masked = file.matrix(&options).unwrap();
    assert_eq!(masked.n_cols(), kept);
    let first = flags.iter().position(|&flag| flag).unwrap();
    assert_eq!(masked.col_names()[0], format!("gene_{first}"));
}

#[test]
fn a_missing_layer_or_column_lists_what_the_file_has() {
    let file = AnnData::open(testdata("counts.h5ad")).unwrap();
    let error = file.matrix(&layer("spliced")).unwrap_err().to_string();
    assert!(
        error.contains("counts.h5ad: no layer 'spliced' — the file has layers: counts"),
        "{error}"
    );
    let error = file.obs_column("donor").unwrap_err().to_string();
    assert!(
        error.contains("no obs column 'donor' — the file has batch, note"),
        "{error}"
    );
    let error = file.var_flags("note").unwrap_err().to_string();
    assert!(
        error.contains("no var column 'note' — the file has highly_variable"),
        "{error}"
    );
}

#[test]
fn bad_files_are_one_line_errors_naming_the_file() {
    let bad = |name: &str| testdata(&format!("bad/{name}"));
    let cases = [
        ("h5ad_not_hdf5.h5ad", "not an HDF5 file"),
        ("h5ad_truncated.h5ad", "truncated: the file is "),
        (
            "h5ad_shape_mismatch.h5ad",
            "X: shape 6 × 4, but obs has 5 names and var 4",
        ),
    ];
    for (name, fragment) in cases {
        let error = read_h5ad(bad(name), &H5adOptions::default()).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(name) && text.contains(fragment), "{text}");
        assert!(!text.contains('\n'), "{text}");
        assert!(error.is_input(), "{text}");
    }
    let file = AnnData::open(bad("h5ad_nullable_obs.h5ad")).unwrap();
    let error = file.obs_column("donor").unwrap_err().to_string();
    assert!(
        error.contains("obs/donor: unsupported encoding 'nullable-integer'"),
        "{error}"
    );
}

#[test]
fn garbage_after_the_signature_is_an_error_not_a_panic() {
    for (round, bytes) in mutants("bad/h5ad_ok.h5ad", 7, 200) {
        if let Ok(file) = AnnData::from_bytes(format!("mutant{round}"), bytes) {
            let _ = file.matrix(&H5adOptions::default());
            let _ = file.matrix(&layer("counts"));
            let _ = file.obs_column("batch");
        }
    }
}

/// Everything `AnnDataWriter` writes of a file comes back through the reader: `X` (CSR kept
/// CSR), obs and var names, each obs column typed as it was, `obsm` and `uns`.
#[test]
fn written_files_read_back_whole() {
    let input = AnnData::open(testdata("counts.h5ad")).unwrap();
    let counts = input.matrix(&H5adOptions::default()).unwrap();
    let mut columns: Vec<(String, Column)> = input
        .obs_columns()
        .unwrap()
        .into_iter()
        .map(|name| {
            let values = input.obs_values(&name).unwrap();
            (name, values)
        })
        .collect();
    let n = counts.n_rows();
    columns.push(("size".into(), Column::Integers((0..n as i64).collect())));
    columns.push(("depth".into(), Column::Floats(vec![0.25; n])));
    columns.push((
        "kept".into(),
        Column::Booleans((0..n).map(|i| i % 3 == 0).collect()),
    ));
    columns.push((
        "stage".into(),
        Column::Categorical {
            categories: vec!["early".into(), "late".into()],
            codes: (0..n as i64).map(|i| i % 3 - 1).collect(),
            ordered: true,
        },
    ));
    let latent: Vec<f32> = (0..n * 2).map(|i| i as f32 / 8.0 - 1.0).collect();
    let mut writer = AnnDataWriter::new(&counts);
    for (name, values) in &columns {
        writer.obs_column(name, values.clone()).unwrap();
    }
    writer.obsm("X_vaebio", 2, latent.clone()).unwrap();
    writer.uns(
        "vaebio",
        Uns::Dict(vec![
            ("command".into(), Uns::Text("embed".into())),
            ("epochs".into(), Uns::Integer(7)),
            ("final_loss".into(), Uns::Float(1.5)),
            ("stopped_early".into(), Uns::Bool(false)),
            ("hidden".into(), Uns::Integers(vec![128, 64])),
        ]),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.h5ad");
    writer.write(&path).unwrap();

    let output = AnnData::open(&path).unwrap();
    let matrix = output.matrix(&H5adOptions::default()).unwrap();
    assert_eq!(matrix.row_names(), counts.row_names());
    assert_eq!(matrix.col_names(), counts.col_names());
    assert_eq!(matrix.storage(), counts.storage());
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(output.obs_columns().unwrap(), names);
    for (name, values) in &columns {
        assert_eq!(&output.obs_values(name).unwrap(), values, "{name}");
    }
    assert_eq!(
        output.obs_column("batch").unwrap(),
        input.obs_column("batch").unwrap()
    );
    assert!(output.layers().is_empty());

    let file = File::from_bytes(std::fs::read(&path).unwrap()).unwrap();
    let encoding = |element: &str| {
        let attrs = match file.group(element) {
            Ok(group) => group.attrs().unwrap(),
            Err(_) => file.dataset(element).unwrap().attrs().unwrap(),
        };
        attr_text(&attrs["encoding-type"]).unwrap()
    };
    assert_eq!(
        attr_text(&file.root().attrs().unwrap()["encoding-type"]).unwrap(),
        "anndata"
    );
    assert_eq!(encoding("X"), "csr_matrix");
    assert_eq!(encoding("obsm/X_vaebio"), "array");
    assert_eq!(encoding("uns/vaebio"), "dict");
    assert_eq!(encoding("uns/vaebio/epochs"), "numeric-scalar");
    assert_eq!(encoding("uns/vaebio/command"), "string");
    let obsm = file.dataset("obsm/X_vaebio").unwrap();
    assert_eq!(obsm.shape().unwrap(), [n as u64, 2]);
    assert_eq!(obsm.read_f32().unwrap(), latent);
    let epochs = file.dataset("uns/vaebio/epochs").unwrap();
    assert!(epochs.shape().unwrap().is_empty(), "a scalar, not an array");
    assert_eq!(epochs.read_i64().unwrap(), [7]);
    let command = file.dataset("uns/vaebio/command").unwrap();
    assert_eq!(command.read_string().unwrap(), ["embed"]);
    if let Some(keep) = std::env::var_os("VAEBIO_KEEP_H5AD") {
        std::fs::copy(&path, keep).unwrap();
    }
}

#[test]
fn dense_x_round_trips_and_bad_outputs_leave_nothing() {
    let matrix = FeatureMatrix::from_dense(
        vec!["c1".into(), "c2".into()],
        vec!["z1".into(), "z2".into(), "z3".into()],
        vec![0.5, -1.0, 2.0, 3.0, 0.0, -0.125],
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latent.h5ad");
    AnnDataWriter::new(&matrix).write(&path).unwrap();
    let back = read_h5ad(&path, &H5adOptions::default()).unwrap();
    assert_eq!(back, matrix);
    assert!(
        AnnData::open(&path)
            .unwrap()
            .obs_columns()
            .unwrap()
            .is_empty()
    );

    let mut writer = AnnDataWriter::new(&matrix);
    let error = writer
        .obs_column("donor", Column::Strings(vec!["d1".into()]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("obs/donor: 1 values for 2 observations"),
        "{error}"
    );
    assert!(writer.obsm("X_vaebio", 2, vec![0.0; 3]).is_err());

    let missing = dir.path().join("no/such/dir/latent.h5ad");
    let error = writer.write(&missing).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("no/such/dir/latent.h5ad") && !text.contains('\n'),
        "{text}"
    );
    let bad_name = dir.path().join("bad.h5ad");
    let mut writer = AnnDataWriter::new(&matrix);
    writer.uns("a/b", Uns::Integer(1));
    let error = writer.write(&bad_name).unwrap_err().to_string();
    assert!(error.contains("cannot encode the AnnData file"), "{error}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        left.len(),
        1,
        "only latent.h5ad, no temporary or partial file"
    );
}

/// CSC layers are converted to CSR without a copy of the CSC arrays (two passes over the
/// indices): unsorted cells within a gene read as X does, a repeated or out-of-range cell
/// is a one-line error naming the layer (`bench/make_h5ad_csc.py` wrote the file).
#[test]
fn csc_layers_read_as_x_or_name_their_flaw() {
    let file = AnnData::open(testdata("bad/h5ad_csc.h5ad")).unwrap();
    let x = file.matrix(&H5adOptions::default()).unwrap();
    assert!(matches!(x.storage(), Storage::Sparse(_)));
    assert_eq!(file.matrix(&layer("counts")).unwrap(), x);
    assert_eq!(file.matrix(&layer("unsorted")).unwrap(), x);
    for (name, fragment) in [
        (
            "repeated",
            "h5ad_csc.h5ad:layers/repeated: observation 4 stores gene 2 twice",
        ),
        (
            "out_of_range",
            "h5ad_csc.h5ad:layers/out_of_range/indices: index 5 is outside 0..5",
        ),
    ] {
        let text = file.matrix(&layer(name)).unwrap_err().to_string();
        assert!(text.contains(fragment) && !text.contains('\n'), "{text}");
    }
}
