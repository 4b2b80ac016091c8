use std::io::{Cursor, Read};

use super::*;
use crate::matrix::Storage;
use crate::testdata::testdata;

fn from_text(text: &str, options: &VcfOptions) -> Result<Genotypes> {
    let input = input::from_reader("test.vcf", Cursor::new(text.as_bytes().to_vec()))?;
    read_genotypes_from(input, options)
}

const HEADER: &str =
    "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\n";

/// testdata/variants.vcf, dosages worked out by hand from its GT columns:
/// chr1:100 0/0 0/1 1/1 ./.  → 0 1 2 missing; 3 ALT of 6 called alleles, mean dosage 3/3 = 1
/// chr1:200 multi-allelic, chr1:300 indel, chr1:400 and chr1:500 monomorphic
/// chr2:150 1|0 0|0 ./. 0|1  → 1 0 missing 1; mean dosage 2/3
/// chr2:250 1/1 1/1 1/1 0/1  → 2 2 2 1; ALT frequency 7/8, MAF 0.125
/// chr2:350 all missing
fn expected_mean_dosages() -> Vec<f32> {
    vec![
        0.0,
        1.0,
        2.0, //
        1.0,
        0.0,
        2.0, //
        2.0,
        2.0 / 3.0,
        2.0, //
        1.0,
        1.0,
        1.0,
    ]
}

#[test]
fn hand_written_vcf_gives_hand_computed_dosages() {
    let genotypes = read_genotypes(testdata("variants.vcf"), &VcfOptions::default()).unwrap();
    let matrix = &genotypes.matrix;
    assert_eq!(matrix.row_names(), ["s1", "s2", "s3", "s4"]);
    assert_eq!(matrix.col_names(), ["chr1:100", "chr2:150", "chr2:250"]);
    assert_eq!(genotypes.ploidy, 2);
    let dense = matrix.to_dense();
    for (got, want) in dense.iter().zip(expected_mean_dosages()) {
        assert!((got - want).abs() < 1e-6, "{dense:?}");
    }
    assert!(matches!(matrix.storage(), Storage::Dosage(_)));
    let report = &genotypes.report;
    assert_eq!(report.records, 8);
    assert_eq!(report.kept, 3);
    assert_eq!(report.multiallelic, 1);
    assert_eq!(report.not_snp, 1);
    assert_eq!(report.monomorphic, 2);
    assert_eq!(report.all_missing, 1);
    assert_eq!(report.imputed, 2);
}

#[test]
fn bgzip_and_bcf_give_the_same_matrix_as_plain_text() {
    let options = VcfOptions::default();
    let plain = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    for name in ["variants.vcf.gz", "variants.bcf"] {
        let other = read_genotypes(testdata(name), &options).unwrap();
        assert_eq!(other.matrix, plain.matrix, "{name}");
        assert_eq!(other.report, plain.report, "{name}");
        assert_eq!(other.ploidy, 2);
    }
}

#[test]
fn min_maf_drop_sites_and_binomial() {
    let options = VcfOptions {
        min_maf: 0.2,
        ..VcfOptions::default()
    };
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["chr1:100", "chr2:150"]);
    assert_eq!(genotypes.report.low_maf, 1);

    let options = VcfOptions {
        missing: MissingPolicy::DropSites,
        ..VcfOptions::default()
    };
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["chr2:250"]);
    assert_eq!(genotypes.report.dropped_missing, 2);
    assert_eq!(genotypes.matrix.to_dense(), [2.0, 2.0, 2.0, 1.0]);

    let options = VcfOptions {
        missing: MissingPolicy::Binomial,
        seed: 3,
        ..VcfOptions::default()
    };
    let first = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    let again = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(first.matrix, again.matrix, "same seed, same draws");
    let Storage::Dosage(dosage) = first.matrix.storage() else {
        panic!("dosage storage expected");
    };
    assert!(
        dosage.codes().iter().all(|&c| c <= 2),
        "every missing genotype drawn"
    );
    // Called genotypes are untouched.
    let dense = first.matrix.to_dense();
    for (index, (got, want)) in dense.iter().zip(expected_mean_dosages()).enumerate() {
        if index != 7 && index != 9 {
            assert_eq!(*got, want);
        }
    }
}

#[test]
fn msprime_haploid_vcf_and_indels_when_asked() {
    let text = format!(
        "{HEADER}1\t10\t0\t0\t1\t.\tPASS\t.\tGT\t0\t1\t1\n1\t20\t1\t0\t1\t.\tPASS\t.\tGT\t1\t0\t.\n1\t30\t.\tA\tAT\t.\tPASS\t.\tGT\t1\t0\t0\n"
    );
    let genotypes = from_text(&text, &VcfOptions::default()).unwrap();
    assert_eq!(genotypes.ploidy, 1);
    assert_eq!(genotypes.matrix.col_names(), ["1:10", "1:20"]);
    // Site 1:20 mean among called = 1/2.
    assert_eq!(genotypes.matrix.to_dense(), [0.0, 1.0, 1.0, 0.0, 1.0, 0.5]);
    let with_indels = VcfOptions {
        snps_only: false,
        ..VcfOptions::default()
    };
    let genotypes = from_text(&text, &with_indels).unwrap();
    assert_eq!(genotypes.matrix.n_cols(), 3);
}

#[test]
fn thinning_keeps_file_order_and_is_seeded() {
    let mut text = HEADER.to_string();
    for position in 1..=10 {
        text.push_str(&format!(
            "c\t{position}\t.\tA\tC\t.\t.\t.\tGT\t0/1\t0/0\t1/1\n"
        ));
    }
    let even = VcfOptions {
        max_sites: Some(4),
        ..VcfOptions::default()
    };
    let genotypes = from_text(&text, &even).unwrap();
    // Ranks floor(i * 10 / 4) = 0, 2, 5, 7 → positions 1, 3, 6, 8.
    assert_eq!(genotypes.matrix.col_names(), ["c:1", "c:3", "c:6", "c:8"]);
    assert_eq!(genotypes.report.thinned, 6);
    let random = VcfOptions {
        max_sites: Some(4),
        thinning: Thinning::Random,
        seed: 11,
        ..VcfOptions::default()
    };
    let first = from_text(&text, &random).unwrap();
    let again = from_text(&text, &random).unwrap();
    assert_eq!(first.matrix.col_names(), again.matrix.col_names());
    assert_eq!(first.matrix.n_cols(), 4);
    let positions: Vec<u64> = first
        .matrix
        .col_names()
        .iter()
        .map(|name| name[2..].parse().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn vcf_without_gt_anywhere_is_an_error_naming_the_first_line() {
    let text = format!(
        "{HEADER}1\t5\t.\tA\tC,G\t.\t.\t.\tGT\t0/1\t1/2\t0/0\n1\t10\t.\tA\tC\t.\t.\t.\tDP\t3\t4\t5\n1\t20\t.\tA\tC\t.\t.\t.\tGL\t0\t0\t0\n"
    );
    let error = from_text(&text, &VcfOptions::default()).unwrap_err();
    assert!(
        error.to_string().starts_with(
            "test.vcf:line 4: FORMAT has no GT field, and no other biallelic record has one (2 records without GT)"
        ),
        "{error}"
    );
}

/// testdata/ploidy_chrx.vcf: females f1, f2 diploid, males m1, m2 haploid on chrX; dosages
/// and allele frequencies by hand, each genotype counting its own alleles:
/// chr7:100 0/1 1/1 0/0 0/1 → 1 2 0 1
/// chrX:200 0/1 1/1 1 0     → 1 2 1 0; 4 ALT of 2+2+1+1 = 6 alleles
/// chrX:300 0|0 0/1 . 1     → 0 1 missing 1; mean dosage 2/3; 2 ALT of 5 called alleles;
///                            m1's '.' counts as the site's largest ploidy, 2
/// chrX:400 0/0 0/0 1 1     → 0 0 1 1 (a haploid ALT call is 1 of 1)
/// chrX:500 all REF → monomorphic
#[test]
fn mixed_ploidy_keeps_each_genotypes_ploidy() {
    let genotypes = read_genotypes(testdata("ploidy_chrx.vcf"), &VcfOptions::default()).unwrap();
    let matrix = &genotypes.matrix;
    assert_eq!(
        matrix.col_names(),
        ["chr7:100", "chrX:200", "chrX:300", "chrX:400"]
    );
    assert_eq!(matrix.row_names(), ["f1", "f2", "m1", "m2"]);
    let expected = [
        1.0,
        1.0,
        0.0,
        0.0, //
        2.0,
        2.0,
        1.0,
        0.0, //
        0.0,
        1.0,
        2.0 / 3.0,
        1.0, //
        1.0,
        0.0,
        1.0,
        1.0,
    ];
    for (got, want) in matrix.to_dense().iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{:?}", matrix.to_dense());
    }
    assert_eq!(genotypes.ploidy, 2);
    let ploidies = [
        2, 2, 2, 2, //
        2, 2, 2, 2, //
        2, 1, 2, 1, //
        2, 1, 1, 1,
    ];
    assert_eq!(genotypes.ploidies.as_deref(), Some(&ploidies[..]));
    assert_eq!(genotypes.report.lower_ploidy, 5);
    assert_eq!(genotypes.report.monomorphic, 1);
    // MAF by each genotype's alleles: chr7:100 4/8, chrX:200 ALT 4/6 (MAF 1/3), chrX:300
    // 2/5 (0.4), chrX:400 2/6 (1/3), all kept at 0.3; counted as diploid, chrX:400 would
    // be 2/8 = 0.25 and dropped.
    let options = VcfOptions {
        min_maf: 0.3,
        ..VcfOptions::default()
    };
    let genotypes = read_genotypes(testdata("ploidy_chrx.vcf"), &options).unwrap();
    assert_eq!(genotypes.matrix.n_cols(), 4);
    assert_eq!(genotypes.report.low_maf, 0);
}

#[test]
fn binomial_imputation_draws_each_genotypes_ploidy() {
    // The haploid site has only haploid calls, so its missing genotype draws 1 allele.
    let text = format!(
        "{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t1\t0\t.\n1\t20\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\t./.\n"
    );
    for seed in 0..20 {
        let options = VcfOptions {
            missing: MissingPolicy::Binomial,
            seed,
            ..VcfOptions::default()
        };
        let genotypes = from_text(&text, &options).unwrap();
        let dense = genotypes.matrix.to_dense();
        assert!(dense[4] <= 1.0, "haploid draw {}", dense[4]);
        assert!(dense[5] <= 2.0);
        assert_eq!(genotypes.ploidies.as_deref(), Some(&[1, 2, 1, 2, 1, 2][..]));
    }
}

/// testdata/gl_only_record.vcf: 1:200 has GL but no GT; 1:100 and 1:300 are read
/// (a 0/1 1/1 0/0, then 0/0 0/1 1/1).
#[test]
fn records_without_gt_are_skipped_and_counted() {
    let genotypes = read_genotypes(testdata("gl_only_record.vcf"), &VcfOptions::default()).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["1:100", "1:300"]);
    assert_eq!(genotypes.matrix.to_dense(), [1.0, 0.0, 2.0, 1.0, 0.0, 2.0]);
    assert_eq!(genotypes.report.no_genotype, 1);
    assert_eq!(genotypes.report.records, 3);
    assert_eq!(genotypes.ploidies, None);
}

#[test]
fn malformed_lines_are_errors_naming_the_line() {
    let short = format!("{HEADER}1\t10\t.\tA\n");
    let error = from_text(&short, &VcfOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("test.vcf:line 3: 4 tab-separated fields"),
        "{error}"
    );

    let ragged = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\n");
    let error = from_text(&ragged, &VcfOptions::default()).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Ragged {
                found: 11,
                expected: 12,
                ..
            }
        ),
        "{error}"
    );

    let bad_position = format!("{HEADER}1\tten\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n");
    let error = from_text(&bad_position, &VcfOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("line 3: POS is not a positive integer"),
        "{error}"
    );

    let bad_allele = format!("{HEADER}1\t10\t.\tA\tC\t.\t.\t.\tGT\t0/1\tA/C\t0/0\n");
    let error = from_text(&bad_allele, &VcfOptions::default()).unwrap_err();
    assert!(
        error.to_string().contains("line 3: sample 'b' has a GT"),
        "{error}"
    );
}

#[test]
fn headers_are_checked() {
    let error = from_text("", &VcfOptions::default()).unwrap_err();
    assert!(matches!(error, Error::Empty { .. }), "{error}");
    let error = from_text("gene\tcell\n", &VcfOptions::default()).unwrap_err();
    assert!(error.to_string().contains("not a VCF file"), "{error}");
    let duplicate =
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\ta\n";
    let error = from_text(duplicate, &VcfOptions::default()).unwrap_err();
    assert!(matches!(error, Error::DuplicateName { .. }), "{error}");
    let sites_only = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    let error = from_text(sites_only, &VcfOptions::default()).unwrap_err();
    assert!(error.to_string().contains("names no samples"), "{error}");
}

#[test]
fn repeated_positions_are_skipped_or_reported() {
    let site = |position: u32| format!("1\t{position}\t.\tA\tC\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n");
    let adjacent = format!("{HEADER}{}{}{}", site(10), site(10), site(20));
    let genotypes = from_text(&adjacent, &VcfOptions::default()).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["1:10", "1:20"]);
    assert_eq!(genotypes.report.duplicate_position, 1);
    let apart = format!("{HEADER}{}{}{}", site(10), site(20), site(10));
    let error = from_text(&apart, &VcfOptions::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("test.vcf: site 1:10 appears twice"),
        "{error}"
    );
}

#[test]
fn no_passing_site_is_an_error_with_the_counts() {
    let text = format!("{HEADER}1\t10\t.\tA\tC,G\t.\t.\t.\tGT\t0/1\t1/2\t0/0\n");
    let error = from_text(&text, &VcfOptions::default()).unwrap_err();
    assert!(error.to_string().contains("1 multi-allelic"), "{error}");
}

#[test]
fn truncated_bgzf_and_bcf_are_typed_errors() {
    let bytes = std::fs::read(testdata("variants.vcf.gz")).unwrap();
    let cut = bytes[..bytes.len() * 2 / 3].to_vec();
    let input = input::from_reader("cut.vcf.gz", Cursor::new(cut)).unwrap();
    let error = read_genotypes_from(input, &VcfOptions::default()).unwrap_err();
    assert!(matches!(error, Error::Truncated { .. }), "{error}");

    // Decompress the BCF, then cut a record in half.
    let mut bcf = Vec::new();
    input::open(testdata("variants.bcf"))
        .unwrap()
        .read_to_end(&mut bcf)
        .unwrap();
    bcf.truncate(bcf.len() - 10);
    let input = input::from_reader("cut.bcf", Cursor::new(bcf)).unwrap();
    let error = read_genotypes_from(input, &VcfOptions::default()).unwrap_err();
    assert!(matches!(error, Error::Truncated { .. }), "{error}");
    assert!(error.to_string().starts_with("cut.bcf:record 8"), "{error}");
}

#[test]
fn options_are_validated() {
    let bad_maf = VcfOptions {
        min_maf: 0.7,
        ..VcfOptions::default()
    };
    assert!(matches!(
        bad_maf.validate(),
        Err(Error::InvalidOption { .. })
    ));
    let no_sites = VcfOptions {
        max_sites: Some(0),
        ..VcfOptions::default()
    };
    assert!(no_sites.validate().is_err());
}

#[test]
fn mask_fills_like_mean_and_gives_missing_calls_ploidy_zero() {
    // The two missing genotypes of testdata/variants.vcf (see `expected_mean_dosages`): s4 at
    // chr1:100 (row-major index 9) and s3 at chr2:150 (index 7).
    let mean = read_genotypes(testdata("variants.vcf"), &VcfOptions::default()).unwrap();
    let options = VcfOptions {
        missing: MissingPolicy::Mask,
        ..VcfOptions::default()
    };
    let masked = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(
        masked.matrix, mean.matrix,
        "the encoder reads the site mean"
    );
    let mut expected = vec![2u8; 12];
    expected[7] = 0;
    expected[9] = 0;
    assert_eq!(masked.ploidies.as_deref(), Some(expected.as_slice()));
    assert_eq!(masked.ploidy, 2);
    assert_eq!(
        masked.report.lower_ploidy, 0,
        "a masked call is not a haploid one"
    );
    assert_eq!(mean.ploidies, None);
}

fn model_sites(names: &[&str], alleles: Vec<(u32, u32)>) -> VcfOptions {
    let names: Vec<String> = names.iter().map(|name| name.to_string()).collect();
    VcfOptions {
        model_sites: Some(Arc::new(ModelSites::new(&names, alleles, 2).unwrap())),
        ..VcfOptions::default()
    }
}

/// testdata/variants.vcf read into a model's sites, fills worked out by hand: chr1:100 keeps
/// 0 1 2 and fills s4 at 2 × 1/4 (training counts, not the file's 3/6); chr1:400 (all 0|0)
/// and chr1:500 (ALT '.') are read as all REF; chr2:350 (no call) and chr3:7 (not in the file)
/// are filled at 2 × 3/10 and 2 × 1/2; chr2:150 and chr2:250 are not the model's.
#[test]
fn new_samples_are_read_into_every_site_of_a_model() {
    let options = model_sites(
        &["chr1:100", "chr1:400", "chr1:500", "chr2:350", "chr3:7"],
        vec![(1, 4), (2, 8), (4, 10), (3, 10), (1, 2)],
    );
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    let matrix = &genotypes.matrix;
    assert_eq!(
        matrix.col_names(),
        ["chr1:100", "chr1:400", "chr1:500", "chr2:350", "chr3:7"]
    );
    #[rustfmt::skip]
    let expected = [
        0.0, 0.0, 0.0, 0.6, 1.0,
        1.0, 0.0, 0.0, 0.6, 1.0,
        2.0, 0.0, 0.0, 0.6, 1.0,
        0.5, 0.0, 0.0, 0.6, 1.0,
    ];
    let dense = matrix.to_dense();
    for (got, want) in dense.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{dense:?}");
    }
    let report = &genotypes.report;
    assert_eq!(
        (
            report.kept,
            report.not_in_model,
            report.absent,
            report.imputed
        ),
        (5, 2, 1, 9)
    );
    assert_eq!((report.monomorphic, report.all_missing), (0, 0));
    assert_eq!(
        genotypes.allele_counts,
        [(3, 6), (0, 8), (0, 8), (0, 0), (0, 0)]
    );
}

/// A model saved without its training allele counts: sites with calls use this file's
/// frequency; a site with no call, or not in the file, cannot be filled and stays out.
#[test]
fn without_training_counts_uncalled_and_absent_sites_stay_out() {
    let options = model_sites(&["chr1:100", "chr1:400", "chr2:350", "chr3:7"], Vec::new());
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["chr1:100", "chr1:400"]);
    assert!((genotypes.matrix.to_dense()[6] - 1.0).abs() < 1e-6);
    assert_eq!(
        (genotypes.report.all_missing, genotypes.report.absent),
        (1, 0)
    );
}

#[test]
fn a_file_sharing_no_site_with_the_model_is_an_error_naming_both() {
    let error = read_genotypes(
        testdata("variants.vcf"),
        &model_sites(&["5:1"], vec![(1, 2)]),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("none of the model's 1 sites"), "{error}");
    assert!(
        error.contains("5:1") && error.contains("chr1:100"),
        "{error}"
    );
    assert!(error.contains("chromosome names"), "{error}");
}

#[test]
fn model_sites_must_be_named_chrom_pos() {
    let names = vec!["chr1:100".to_string(), "GAPDH".to_string()];
    let error = ModelSites::new(&names, Vec::new(), 2)
        .unwrap_err()
        .to_string();
    assert!(error.contains("'GAPDH'"), "{error}");
    let error = ModelSites::new(&names[..1], vec![(1, 2), (0, 2)], 2)
        .unwrap_err()
        .to_string();
    assert!(error.contains("2 allele counts for 1 sites"), "{error}");
}

/// A model trained on Ensembl-style names (`1`, `2`) reads a UCSC-style file (`chr1`,
/// `chr2`): the sites are found and named as the model names them.
#[test]
fn chromosome_names_with_or_without_chr_find_the_model_sites() {
    let options = model_sites(&["1:100", "2:150"], vec![(3, 6), (2, 6)]);
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(genotypes.matrix.col_names(), ["1:100", "2:150"]);
    let report = &genotypes.report;
    assert_eq!((report.renamed_contig, report.absent), (2, 0));
}

/// Three of five model sites absent from the file is refused before any is imputed; two of
/// four (exactly half) is read.
#[test]
fn a_file_lacking_more_than_half_of_the_model_sites_is_an_error() {
    let counts = vec![(1, 4); 5];
    let options = model_sites(
        &["chr1:100", "chr1:400", "chr3:7", "chr3:8", "chr3:9"],
        counts,
    );
    let error = read_genotypes(testdata("variants.vcf"), &options)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("variants.vcf") && error.contains("3 of the model's 5 sites"),
        "{error}"
    );
    assert!(error.contains("same reference build"), "{error}");
    let options = model_sites(
        &["chr1:100", "chr1:400", "chr3:7", "chr3:8"],
        vec![(1, 4); 4],
    );
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(genotypes.report.absent, 2);
}

/// A model holding both spellings of a chromosome finds each site under its own spelling
/// first, and under the other only where its own has no such position.
#[test]
fn both_spellings_of_a_chromosome_in_a_model_find_their_own_sites() {
    let options = model_sites(&["chr1:100", "1:400", "chr2:150"], vec![(1, 4); 3]);
    let genotypes = read_genotypes(testdata("variants.vcf"), &options).unwrap();
    assert_eq!(
        genotypes.matrix.col_names(),
        ["chr1:100", "1:400", "chr2:150"]
    );
    let report = &genotypes.report;
    assert_eq!((report.renamed_contig, report.absent), (1, 0));
}
