use std::io::Cursor;

use super::*;
use crate::matrix::Storage;
use crate::testdata::testdata;

fn read(text: &str, options: &ExpressionOptions) -> Result<FeatureMatrix> {
    let input = input::from_reader("t.tsv", Cursor::new(text.as_bytes().to_vec()))?;
    read_expression_from(input, options)
}

#[test]
fn genes_by_cells_tsv_becomes_sparse_cells_by_genes() {
    let matrix = read(
        "gene\tc1\tc2\tc3\ng1\t0\t5\t0\ng2\t2\t0\t1\r\n",
        &ExpressionOptions::default(),
    )
    .unwrap();
    assert_eq!(matrix.row_names(), ["c1", "c2", "c3"]);
    assert_eq!(matrix.col_names(), ["g1", "g2"]);
    assert_eq!(matrix.to_dense(), [0.0, 2.0, 5.0, 0.0, 0.0, 1.0]);
    assert!(matches!(matrix.storage(), Storage::Sparse(_)));
}

#[test]
fn transpose_csv_with_floats_is_dense() {
    let options = ExpressionOptions {
        transpose: true,
        ..ExpressionOptions::default()
    };
    let matrix = read("\"\",\"g1\",\"g2\"\n\"c1\",0.5,2\nc2,1e1,0\n", &options).unwrap();
    assert_eq!(matrix.row_names(), ["c1", "c2"]);
    assert_eq!(matrix.col_names(), ["g1", "g2"]);
    assert_eq!(matrix.to_dense(), [0.5, 2.0, 10.0, 0.0]);
    assert!(matches!(matrix.storage(), Storage::Dense(_)));
}

#[test]
fn header_without_corner_cell() {
    let matrix = read("c1\tc2\ng1\t1\t2\n", &ExpressionOptions::default()).unwrap();
    assert_eq!(matrix.row_names(), ["c1", "c2"]);
    assert_eq!(matrix.to_dense(), [1.0, 2.0]);
}

#[test]
fn committed_tsv_and_csv_agree() {
    let options = ExpressionOptions::default();
    let tsv = read_expression(testdata("counts.tsv"), &options).unwrap();
    let csv = read_expression(testdata("counts.csv.gz"), &options).unwrap();
    assert_eq!(tsv, csv);
    assert!(tsv.is_integer_counts());
}

#[test]
fn many_blocks_and_pieces_keep_row_order_and_line_numbers() {
    let mut text = String::from("gene\ta\tb\n");
    for gene in 0..5000 {
        text.push_str(&format!("g{gene}\t{gene}\t0\n"));
    }
    let matrix = read(&text, &ExpressionOptions::default()).unwrap();
    assert_eq!(matrix.n_cols(), 5000);
    assert_eq!(matrix.col_names()[4321], "g4321");
    assert_eq!(matrix.to_dense()[4321], 4321.0);
    text.push_str("g5000\t1\tx\n");
    let error = read(&text, &ExpressionOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("t.tsv:line 5002: value 'x' in column 'b'"),
        "{error}"
    );
}

#[test]
fn ragged_row_names_the_line() {
    let error = read(
        "gene\tc1\tc2\ng1\t1\t2\ng2\t1\n",
        &ExpressionOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Ragged {
                found: 2,
                expected: 3,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().starts_with("t.tsv:line 3:"), "{error}");
    let error = read(
        "gene\tc1\tc2\ng1\t1\t2\ng2\t1\t2\t3\n",
        &ExpressionOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Ragged { found: 4, .. }), "{error}");
}

#[test]
fn non_numeric_value_names_line_and_column() {
    let error = read("gene\tc1\tc2\ng1\t1\tNA\n", &ExpressionOptions::default()).unwrap_err();
    assert_eq!(
        error.to_string().split(" — ").next().unwrap(),
        "t.tsv:line 2: value 'NA' in column 'c2' is not a number"
    );
}

#[test]
fn nan_and_infinity_are_errors() {
    for bad in ["nan", "inf", "-inf"] {
        let error = read(
            &format!("gene\tc1\ng1\t{bad}\n"),
            &ExpressionOptions::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("is not finite"), "{error}");
    }
}

#[test]
fn negative_values_are_errors() {
    let error = read("gene\tc1\ng1\t-3\n", &ExpressionOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("value -3 in column 'c1' is negative"),
        "{error}"
    );
}

#[test]
fn non_counts_fail_when_counts_are_required() {
    let options = ExpressionOptions {
        require_counts: true,
        ..ExpressionOptions::default()
    };
    let error = read("gene\tc1\tc2\ng1\t1\t0.25\n", &options).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("t.tsv:line 2: value 0.25 in column 'c2'"),
        "{error}"
    );
}

#[test]
fn duplicate_names_are_errors() {
    let error = read("gene\tc1\tc1\ng1\t1\t2\n", &ExpressionOptions::default()).unwrap_err();
    assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
    let error = read("gene\tc1\ng1\t1\ng1\t2\n", &ExpressionOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("t.tsv:line 3: duplicate feature name 'g1'"),
        "{error}"
    );
}

#[test]
fn empty_inputs_are_errors() {
    assert!(matches!(
        read("", &ExpressionOptions::default()),
        Err(Error::Empty { .. })
    ));
    assert!(matches!(
        read("gene\tc1\n", &ExpressionOptions::default()),
        Err(Error::Empty { .. })
    ));
    let error = read("just_one_column\nx\n", &ExpressionOptions::default()).unwrap_err();
    assert!(error.to_string().contains("no tab or comma"), "{error}");
}

/// A seeded table of `n_rows` named rows × `n_cols` columns whose fields hit every
/// packed code: mostly zeros, runs of more than 254 zeros, counts up to 1000 (and so
/// past the one-byte codes), and with `fractions` some values like `0.75` and `2e-3`.
fn seeded_table(seed: u64, n_rows: usize, n_cols: usize, fractions: bool) -> String {
    let mut state = seed;
    let mut draw = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut text = String::from("id");
    for col in 0..n_cols {
        text.push_str(&format!("\tcol{col}"));
    }
    for row in 0..n_rows {
        text.push_str(&format!("\nrow{row}"));
        let zero_run = draw(n_cols as u64) as usize..n_cols;
        for col in 0..n_cols {
            let field = match draw(20) {
                _ if zero_run.contains(&col) && row % 3 == 0 => "0".to_string(),
                0..=11 => "0".to_string(),
                12..=16 => (1 + draw(9)).to_string(),
                17 => (250 + draw(10)).to_string(),
                18 => (1 + draw(1000)).to_string(),
                _ if fractions => ["0.75", "2e-3", "1.5", "3.0"][draw(4) as usize].to_string(),
                _ => "12".to_string(),
            };
            text.push('\t');
            text.push_str(&field);
        }
    }
    text.push('\n');
    text
}

/// The reference for [`seeded_table`]: every field through `str::parse::<f32>`, laid out
/// densely as observations × features by plain indexing.
fn plain_reading(text: &str, transpose: bool) -> (Vec<String>, Vec<String>, Vec<f32>) {
    let mut lines = text.lines();
    let columns: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .skip(1)
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for line in lines {
        let mut fields = line.split('\t');
        rows.push(fields.next().unwrap().to_string());
        values.extend(fields.map(|field| field.parse::<f32>().unwrap()));
    }
    if transpose {
        return (rows, columns, values);
    }
    let (n_rows, n_cols) = (rows.len(), columns.len());
    let turned = (0..n_cols * n_rows)
        .map(|at| values[(at % n_rows) * n_cols + at / n_rows])
        .collect();
    (columns, rows, turned)
}

#[test]
fn packed_reading_equals_a_plain_dense_reading() {
    for (seed, fractions) in [(1, false), (2, false), (3, true)] {
        let text = seeded_table(seed, 40, 700, fractions);
        for transpose in [false, true] {
            let options = ExpressionOptions {
                transpose,
                ..ExpressionOptions::default()
            };
            let matrix = read(&text, &options).unwrap();
            let (rows, cols, dense) = plain_reading(&text, transpose);
            assert_eq!(matrix.row_names(), rows);
            assert_eq!(matrix.col_names(), cols);
            let bits = |values: &[f32]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&matrix.to_dense()), bits(&dense), "seed {seed}");
            match matrix.storage() {
                Storage::Sparse(csr) => {
                    assert!(!fractions);
                    // No stored zeros: the CSR of these values is unique.
                    assert!(csr.values().iter().all(|&v| v != 0.0));
                }
                Storage::Dense(_) => assert!(fractions),
                Storage::Dosage(_) | Storage::Backed(_) => unreachable!(),
            }
        }
    }
}

#[test]
fn committed_tsv_is_the_same_csr_as_the_10x_directory() {
    use crate::formats::mtx::{MtxOptions, read_10x_mtx};
    let tsv = read_expression(testdata("counts.tsv"), &ExpressionOptions::default()).unwrap();
    let mtx = read_10x_mtx(testdata("counts_10x"), &MtxOptions::default()).unwrap();
    assert_eq!(tsv.row_names(), mtx.row_names());
    assert_eq!(tsv.storage(), mtx.storage());
}

#[test]
fn first_fraction_in_file_order_is_named() {
    let options = ExpressionOptions {
        require_counts: true,
        ..ExpressionOptions::default()
    };
    let mut text = String::from("gene\ta\tb\n");
    for gene in 0..5000 {
        let b = if gene == 4000 {
            "0.5"
        } else if gene == 4500 {
            "1.25"
        } else {
            "1"
        };
        text.push_str(&format!("g{gene}\t{gene}\t{b}\n"));
    }
    let error = read(&text, &options).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("t.tsv:line 4002: value 0.5 in column 'b' is not a whole number"),
        "{error}"
    );
}
