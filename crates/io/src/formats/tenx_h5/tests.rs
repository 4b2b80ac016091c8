//! Reads the committed fixtures that h5py wrote in Cell Ranger's layouts
//! (`bench/make_10x_h5.py`) and compares them with the same counts read from
//! `testdata/counts_10x/` (the Matrix Market directory of the same cells).

use super::*;
use crate::formats::mtx::read_10x_mtx;
use crate::testdata::{mutants, testdata};

fn mtx() -> FeatureMatrix {
    read_10x_mtx(testdata("counts_10x"), &MtxOptions::default()).unwrap()
}

fn with_type(feature_type: Option<&str>) -> TenxH5Options {
    TenxH5Options {
        features: MtxOptions {
            feature_type: feature_type.map(str::to_string),
            ..MtxOptions::default()
        },
        genome: None,
    }
}

#[test]
fn cell_ranger_3_and_2_and_multiome_genes_equal_the_mtx_directory() {
    let mtx = mtx();
    for file in ["counts_10x.h5", "counts_10x_v2.h5", "multiome_10x.h5"] {
        let matrix = read_10x_h5(testdata(file), &TenxH5Options::default()).unwrap();
        assert_eq!(matrix.row_names(), mtx.row_names(), "{file}");
        assert_eq!(matrix.col_names(), mtx.col_names(), "{file}");
        // Sparse in, sparse kept: the same CSR as the Matrix Market reader builds.
        assert_eq!(matrix.storage(), mtx.storage(), "{file}");
        assert!(matrix.is_integer_counts());
    }
}

#[test]
fn gene_ids_name_the_columns_as_in_features_tsv() {
    let options = TenxH5Options {
        features: MtxOptions {
            gene_ids: true,
            ..MtxOptions::default()
        },
        genome: None,
    };
    let matrix = read_10x_h5(testdata("counts_10x.h5"), &options).unwrap();
    let mtx = read_10x_mtx(testdata("counts_10x"), &options.features).unwrap();
    assert_eq!(matrix.col_names(), mtx.col_names());
    assert_eq!(matrix.col_names()[0], "ENSG00000000000");
}

#[test]
fn peaks_of_a_multiome_file_are_read_when_asked_for() {
    let file = testdata("multiome_10x.h5");
    let peaks = read_10x_h5(&file, &with_type(Some("Peaks"))).unwrap();
    assert_eq!(peaks.n_cols(), 12);
    assert_eq!(peaks.col_names()[0], "chr1:100-600");
    let all = read_10x_h5(&file, &with_type(None)).unwrap();
    assert_eq!(all.n_cols(), 72);
    // The third feature of the file is the first peak: the same column either way.
    let (all, peaks_dense) = (all.to_dense(), peaks.to_dense());
    for cell in 0..40 {
        assert_eq!(all[cell * 72 + 2], peaks_dense[cell * 12], "cell {cell}");
    }
    let error = read_10x_h5(&file, &with_type(Some("Antibody Capture")))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("multiome_10x.h5:matrix/features/feature_type: no features of type 'Antibody Capture' — the file has 'Gene Expression' (60), 'Peaks' (12)"),
        "{error}"
    );
}

#[test]
fn several_genomes_need_one_chosen() {
    let file = testdata("bad/tenx_two_genomes.h5");
    let error = read_10x_h5(&file, &TenxH5Options::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("several genomes: GRCh38, mm10"), "{error}");
    let options = TenxH5Options {
        genome: Some("mm10".into()),
        ..TenxH5Options::default()
    };
    let matrix = read_10x_h5(&file, &options).unwrap();
    assert_eq!(matrix.n_rows(), 5);
    assert_eq!(matrix.col_names(), ["g0", "g1", "g2", "g3"]);
    // features x barcodes [[1,0,3,0,2],[0,4,0,1,0],[5,0,0,0,1],[0,2,1,0,0]], transposed.
    assert_eq!(
        matrix.to_dense()[..8],
        [1.0, 0.0, 5.0, 0.0, 0.0, 4.0, 0.0, 2.0]
    );
    let error = read_10x_h5(
        &file,
        &TenxH5Options {
            genome: Some("hg19".into()),
            ..TenxH5Options::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("no genome 'hg19' — the file holds GRCh38, mm10"),
        "{error}"
    );
}

#[test]
fn bad_files_are_one_line_errors_naming_the_file_and_element() {
    let cases = [
        ("tenx_not_hdf5.h5", "tenx_not_hdf5.h5: not an HDF5 file"),
        (
            "tenx_truncated.h5",
            "tenx_truncated.h5: truncated: the file is ",
        ),
        (
            "tenx_missing_indptr.h5",
            "tenx_missing_indptr.h5:matrix/indptr: missing",
        ),
        (
            "tenx_indptr_short.h5",
            "tenx_indptr_short.h5:matrix/indptr: 5 row pointers for 5 compressed rows (expected 6",
        ),
        (
            "tenx_shape_mismatch.h5",
            "tenx_shape_mismatch.h5:matrix/shape: 4 × 6 (features × barcodes), but the file lists 4 feature ids, 4 names and 5 barcodes",
        ),
        (
            "tenx_non_utf8_barcode.h5",
            "tenx_non_utf8_barcode.h5:matrix/barcodes, entry 3: is not UTF-8 text",
        ),
        (
            "h5ad_ok.h5ad",
            "h5ad_ok.h5ad: an AnnData file, not a 10x matrix — give it with --h5ad",
        ),
    ];
    for (name, fragment) in cases {
        let error =
            read_10x_h5(testdata(&format!("bad/{name}")), &TenxH5Options::default()).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(fragment), "{text}");
        assert!(!text.contains('\n'), "{text}");
        assert!(error.is_input(), "{text}");
    }
}

#[test]
fn garbage_after_the_signature_is_an_error_not_a_panic() {
    for (round, bytes) in mutants("bad/tenx_ok.h5", 11, 200) {
        let _ = read_10x_h5_bytes(format!("mutant{round}"), bytes, &TenxH5Options::default());
    }
}
