//! Reads the committed fixtures that `anndata` wrote (`bench/make_h5ad.py`) and compares
//! them with the same counts read from `testdata/counts.tsv` and `testdata/counts_10x/`.

use super::*;
use crate::formats::mtx::{MtxOptions, read_10x_mtx};
use crate::formats::table::{ExpressionOptions, read_expression};
use crate::matrix::Storage;
use crate::testdata::testdata;

fn tsv_counts() -> FeatureMatrix {
    read_expression(testdata("counts.tsv"), &ExpressionOptions::default()).unwrap()
}

fn layer(name: &str) -> H5adOptions {
    H5adOptions {
        layer: Some(name.into()),
        var_mask: None,
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
        layer: None,
        var_mask: Some("highly_variable".into()),
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
    let whole = std::fs::read(testdata("bad/h5ad_ok.h5ad")).unwrap();
    let mut state = 7u64;
    for round in 0..200 {
        let mut bytes = whole.clone();
        for _ in 0..8 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = 8 + (state >> 33) as usize % (bytes.len() - 8);
            bytes[at] = (state >> 13) as u8;
        }
        if let Ok(file) = AnnData::from_bytes(format!("mutant{round}"), bytes) {
            let _ = file.matrix(&H5adOptions::default());
            let _ = file.matrix(&layer("counts"));
            let _ = file.obs_column("batch");
        }
    }
}
