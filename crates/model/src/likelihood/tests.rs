//! The likelihoods against values computed with scipy, their gradients and data checks.

use super::*;
use candle_core::{DType, Device};

fn matrix(rows: &[&[f64]]) -> Tensor {
    let data: Vec<f32> = rows
        .iter()
        .flat_map(|r| r.iter().map(|&v| v as f32))
        .collect();
    Tensor::from_vec(data, (rows.len(), rows[0].len()), &Device::Cpu).expect("matrix")
}

fn vector(values: &[f64]) -> Tensor {
    let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::new(data.as_slice(), &Device::Cpu).expect("vector")
}

fn output(loc: Tensor, log_scale: Option<&[f64]>, zero_logits: Option<Tensor>) -> DecoderOutput {
    DecoderOutput {
        loc,
        log_scale: log_scale.map(vector),
        zero_logits,
    }
}

/// f32 evaluation against float64 references: 1e-5 relative (1e-5 absolute near 0).
fn assert_close(actual: &Tensor, expected: &[f64]) {
    let actual = actual
        .to_dtype(DType::F64)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1::<f64>())
        .expect("values");
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!(
            (a - e).abs() <= 1e-5 * e.abs().max(1.0),
            "{a} vs {e}: {actual:?}"
        );
    }
}

// Inputs shared by the count tests; expected values from scipy 1.17.1 (pasted).
fn counts() -> Tensor {
    matrix(&[&[0.0, 3.0, 7.0], &[1.0, 0.0, 2.0]])
}
fn count_logits() -> Tensor {
    matrix(&[&[0.1, 0.5, 1.0], &[-1.0, 0.0, 2.0]])
}
const LOG_THETA: [f64; 3] = [0.0, 1.0, -1.0];
fn dropout_logits() -> Tensor {
    matrix(&[&[-1.0, 0.5, 2.0], &[0.0, -2.0, 1.0]])
}

/// scipy `norm.logpdf(x, loc, 1).sum(1)` and `norm.logpdf(x, loc, exp(log_scale))`.
#[test]
fn gaussian_matches_scipy() -> Result<(), Error> {
    let x = matrix(&[&[0.5, -1.2, 3.0], &[0.0, 2.0, -0.7]]);
    let loc = matrix(&[&[0.1, -1.0, 2.0], &[0.3, 1.5, 0.0]]);
    let fixed = Likelihood::Gaussian {
        learned_variance: false,
    };
    let log_prob = fixed.log_prob(&x, &output(loc.clone(), None, None), Exposure::default())?;
    assert_close(&log_prob, &[-3.356815599614018, -3.1718155996140176]);
    let learned = Likelihood::Gaussian {
        learned_variance: true,
    };
    let out = output(loc, Some(&[-0.5, 0.2, 1.0]), None);
    assert_close(
        &learned.log_prob(&x, &out, Exposure::default())?,
        &[-3.755352188429761, -3.6960854320421],
    );
    Ok(())
}

/// Row 0 is scipy `bernoulli.logpmf(x, expit(l)).sum()`; row 1 has a fraction, checked
/// with numpy `x·log(p) + (1−x)·log1p(−p)` (binary cross-entropy).
#[test]
fn bernoulli_matches_scipy() -> Result<(), Error> {
    let x = matrix(&[&[1.0, 0.0, 1.0], &[0.0, 0.25, 1.0]]);
    let logits = matrix(&[&[2.0, -1.0, 0.0], &[-3.0, 0.5, 4.0]]);
    let log_prob =
        Likelihood::Bernoulli.log_prob(&x, &output(logits, None, None), Exposure::default())?;
    assert_close(&log_prob, &[-1.1333368791211407, -0.9158142636716585]);
    Ok(())
}

/// scipy `binom.logpmf(x, 2, expit(l)).sum(1)` and mean `2·expit(l)`.
#[test]
fn binomial_matches_scipy() -> Result<(), Error> {
    let x = matrix(&[&[0.0, 1.0, 2.0], &[2.0, 0.0, 1.0]]);
    let logits = matrix(&[&[2.0, -1.0, 0.0], &[-3.0, 0.5, 4.0]]);
    let diploid = Likelihood::Binomial { trials: 2 };
    let out = output(logits, None, None);
    assert_close(
        &diploid.log_prob(&x, &out, Exposure::default())?,
        &[-6.573526577682334, -11.388481346783372],
    );
    let mean = [
        1.7615941559557646,
        0.5378828427399902,
        1.0,
        0.09485174635513356,
        1.2449186624037092,
        1.964027580075817,
    ];
    assert_close(&diploid.mean(&out, Exposure::default())?, &mean);
    Ok(())
}

/// Each value with its own trials (haploid n = 1 beside diploid n = 2): expected values from
/// Python's `math.comb` and `math.log` term by term, ln C(n, x) + x ln p + (n − x) ln(1 − p)
/// with p = 1 / (1 + e^−l), and mean n·p.
#[test]
fn binomial_with_per_value_trials_matches_hand_computation() -> Result<(), Error> {
    let x = matrix(&[&[1.0, 0.0, 2.0], &[1.0, 1.0, 0.0]]);
    let trials = matrix(&[&[1.0, 1.0, 2.0], &[2.0, 1.0, 2.0]]);
    let logits = matrix(&[&[2.0, -1.0, 0.0], &[-3.0, 0.5, 4.0]]);
    let diploid = Likelihood::Binomial { trials: 2 };
    let out = output(logits, None, None);
    let exposure = Exposure {
        library_size: None,
        trials: Some(&trials),
    };
    assert_close(
        &diploid.log_prob(&x, &out, exposure)?,
        &[-1.826484059681086, -10.914404362603266],
    );
    let mean = [
        0.8807970779778823,
        0.2689414213699951,
        1.0,
        0.09485174635513356,
        0.6224593312018546,
        1.964027580075817,
    ];
    assert_close(&diploid.mean(&out, exposure)?, &mean);
    assert!(diploid.validate_trials(&[1.0, 0.0], &[1, 1], 2, 0).is_ok());
    let error = diploid
        .validate_trials(&[1.0, 2.0], &[2, 1], 2, 4)
        .unwrap_err()
        .to_string();
    assert!(error.contains("observation 5 feature 2"), "{error}");
    assert!(error.contains("exceeds its own 1 trials"), "{error}");
    Ok(())
}

/// `(x · scipy.special.log_softmax(l per block of 3)).sum(1)`; mean = softmax per block.
#[test]
fn categorical_matches_scipy() -> Result<(), Error> {
    let x = matrix(&[
        &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        &[0.0, 1.0, 0.0, 0.0, 1.0, 0.0],
    ]);
    let logits = matrix(&[
        &[1.0, 2.0, 3.0, 0.0, -1.0, 0.5],
        &[0.2, 0.2, -2.0, 3.0, 1.0, 0.0],
    ]);
    let categorical = Likelihood::Categorical { n_states: 3 };
    let out = output(logits, None, None);
    assert_close(
        &categorical.log_prob(&x, &out, Exposure::default())?,
        &[-3.011736569781109, -2.916914538391416],
    );
    let mean = [
        0.09003057317038046,
        0.24472847105479764,
        0.6652409557748218,
        0.33149896042409155,
        0.12195165230972886,
        0.5465493872661796,
        0.4737533180383574,
        0.4737533180383574,
        0.05249336392328524,
        0.8437947344813395,
        0.11419519938459449,
        0.04201006613406605,
    ];
    assert_close(&categorical.mean(&out, Exposure::default())?, &mean);
    Ok(())
}

/// scipy `poisson.logpmf(x, softmax(l) × library).sum(1)`, library = observed row sums
/// (10, 3) or given (20, 5).
#[test]
fn poisson_matches_scipy_with_library_scaling() -> Result<(), Error> {
    let out = output(count_logits(), None, None);
    let observed = Likelihood::Poisson.log_prob(&counts(), &out, Exposure::default())?;
    assert_close(&observed, &[-5.787829712451495, -3.9068483732244736]);
    let given = vector(&[20.0, 5.0]);
    let log_prob =
        Likelihood::Poisson.log_prob(&counts(), &out, Exposure::library(Some(&given)))?;
    assert_close(&log_prob, &[-8.856357906852043, -4.374371501926501]);
    Ok(())
}

/// scipy `nbinom.logpmf(x, n=θ, p=θ/(θ+μ)).sum(1)`, μ = softmax(l) × observed library,
/// θ = exp(log_scale). Normalised expression = scipy.special.softmax(l, axis=1).
#[test]
fn negative_binomial_matches_scipy() -> Result<(), Error> {
    let nb = Likelihood::NegativeBinomial;
    let out = output(count_logits(), Some(&LOG_THETA), None);
    assert_close(
        &nb.log_prob(&counts(), &out, Exposure::default())?,
        &[-6.602456342646051, -5.042023734801709],
    );
    let normalised = [
        0.20196194685967034,
        0.30129182030897,
        0.4967462328313597,
        0.04201006613406605,
        0.11419519938459449,
        0.8437947344813395,
    ];
    assert_close(&nb.mean(&out, Exposure::default())?, &normalised);
    Ok(())
}

/// Mixture by hand with scipy: π = expit(z); x = 0: log(π + (1−π)·nbinom.pmf(0, θ, p));
/// x > 0: log(1−π) + nbinom.logpmf(x, θ, p). Mean = softmax(l)·library·(1−π).
#[test]
fn zero_inflated_negative_binomial_matches_scipy() -> Result<(), Error> {
    let zinb = Likelihood::ZeroInflatedNegativeBinomial;
    let out = output(count_logits(), Some(&LOG_THETA), Some(dropout_logits()));
    assert_close(
        &zinb.log_prob(&counts(), &out, Exposure::default())?,
        &[-9.269629509604615, -7.004041393311762],
    );
    let mean = [
        2.9529202761715836,
        2.2749983068571837,
        1.1842720491395458,
        0.10502516533516512,
        0.5029139896852625,
        1.1346567761796453,
    ];
    assert_close(
        &zinb.mean(&out, Exposure::library(Some(&vector(&[20.0, 5.0]))))?,
        &mean,
    );
    Ok(())
}

#[test]
fn missing_outputs_are_named() {
    let out = output(count_logits(), None, None);
    let error = Likelihood::NegativeBinomial.log_prob(&counts(), &out, Exposure::default());
    assert!(matches!(
        error,
        Err(Error::MissingDecoderOutput {
            field: "log_scale",
            ..
        })
    ));
    let out = output(count_logits(), Some(&LOG_THETA), None);
    let error =
        Likelihood::ZeroInflatedNegativeBinomial.log_prob(&counts(), &out, Exposure::default());
    assert!(matches!(
        error,
        Err(Error::MissingDecoderOutput {
            field: "zero_logits",
            ..
        })
    ));
}

/// Every likelihood backpropagates to every decoder output it reads, with finite,
/// non-zero gradients (candle ops without a backward pass would fail here).
#[test]
fn every_likelihood_backpropagates_to_its_outputs() -> Result<(), Error> {
    let binary = matrix(&[&[1.0, 0.0, 1.0, 0.0], &[0.0, 1.0, 1.0, 0.0]]);
    let cases = [
        (
            Likelihood::Gaussian {
                learned_variance: true,
            },
            binary.clone(),
        ),
        (Likelihood::Bernoulli, binary.clone()),
        (
            Likelihood::Binomial { trials: 2 },
            matrix(&[&[0.0, 1.0, 2.0, 1.0], &[2.0, 2.0, 0.0, 1.0]]),
        ),
        (Likelihood::Categorical { n_states: 2 }, binary),
        (
            Likelihood::Poisson,
            matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
        ),
        (
            Likelihood::NegativeBinomial,
            matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
        ),
        (
            Likelihood::ZeroInflatedNegativeBinomial,
            matrix(&[&[0.0, 3.0, 7.0, 1.0], &[1.0, 0.0, 2.0, 5.0]]),
        ),
    ];
    for (likelihood, x) in cases {
        let loc = candle_core::Var::from_tensor(&matrix(&[
            &[0.3, -0.2, 1.0, 0.1],
            &[-1.0, 0.5, 0.0, 2.0],
        ]))?;
        let log_scale = candle_core::Var::from_tensor(&vector(&[0.1, -0.3, 0.5, 0.0]))?;
        let zero_logits = candle_core::Var::from_tensor(&matrix(&[
            &[-1.0, 0.0, 1.0, -2.0],
            &[0.5, -0.5, 0.0, 1.0],
        ]))?;
        let mut vars = vec![&loc];
        if likelihood.needs_log_scale() {
            vars.push(&log_scale);
        }
        if likelihood.decoder_heads() > 1 {
            vars.push(&zero_logits);
        }
        let out = DecoderOutput {
            loc: loc.as_tensor().clone(),
            log_scale: likelihood
                .needs_log_scale()
                .then(|| log_scale.as_tensor().clone()),
            zero_logits: (likelihood.decoder_heads() > 1).then(|| zero_logits.as_tensor().clone()),
        };
        let grads = likelihood
            .log_prob(&x, &out, Exposure::default())?
            .sum_all()?
            .backward()?;
        for var in vars {
            let grad = grads
                .get(var.as_tensor())
                .expect("gradient")
                .flatten_all()?
                .to_vec1::<f32>()?;
            assert!(
                grad.iter().all(|g| g.is_finite()) && grad.iter().any(|g| *g != 0.0),
                "{}: {grad:?}",
                likelihood.name()
            );
        }
    }
    Ok(())
}

#[test]
fn validate_data_names_row_column_and_fix() {
    let nb = Likelihood::NegativeBinomial;
    assert!(nb.validate_data(&[0.0, 3.0, 1.0, 2.0], 2, 0).is_ok());
    let error = nb
        .validate_data(&[0.0, 3.0, 1.0, 2.5], 2, 10)
        .expect_err("fraction");
    assert!(matches!(
        error,
        Error::OutsideSupport {
            row: 11,
            col: 1,
            ..
        }
    ));
    let message = error.to_string();
    assert!(
        message.starts_with("observation 12 feature 2 (1-based): value 2.5"),
        "{message}"
    );
    assert!(message.contains("raw (unnormalised"), "{message}");
    let negative = Likelihood::Poisson.validate_data(&[-1.0], 1, 0);
    assert!(matches!(
        negative,
        Err(Error::OutsideSupport { row: 0, col: 0, .. })
    ));
    let bernoulli = Likelihood::Bernoulli;
    assert!(bernoulli.validate_data(&[0.0, 0.5, 1.0], 3, 0).is_ok());
    assert!(bernoulli.validate_data(&[0.0, 1.5, 1.0], 3, 0).is_err());
    let diploid = Likelihood::Binomial { trials: 2 };
    assert!(diploid.validate_data(&[0.0, 1.0, 2.0], 3, 0).is_ok());
    assert!(diploid.validate_data(&[3.0], 1, 0).is_err());
    assert!(diploid.validate_data(&[0.5], 1, 0).is_err());
    let gaussian = Likelihood::Gaussian {
        learned_variance: false,
    };
    assert!(gaussian.validate_data(&[-4.0, 1e6], 2, 0).is_ok());
    assert!(gaussian.validate_data(&[f32::NAN], 1, 0).is_err());
    assert!(matches!(
        gaussian.validate_data(&[1.0, 2.0, 3.0], 2, 0),
        Err(Error::RaggedRows { len: 3, n_cols: 2 })
    ));
    let categorical = Likelihood::Categorical { n_states: 2 };
    assert!(
        categorical
            .validate_data(&[1.0, 0.0, 0.0, 1.0], 4, 0)
            .is_ok()
    );
    let block = categorical.validate_data(&[1.0, 0.0, 1.0, 1.0], 4, 0);
    assert!(matches!(
        block,
        Err(Error::OutsideSupport { row: 0, col: 2, .. })
    ));
}

#[test]
fn settings_are_validated() {
    assert!(Likelihood::Binomial { trials: 0 }.validate(10).is_err());
    assert!(Likelihood::Binomial { trials: 2 }.validate(10).is_ok());
    assert!(
        Likelihood::Categorical { n_states: 1 }
            .validate(10)
            .is_err()
    );
    assert!(
        Likelihood::Categorical { n_states: 21 }
            .validate(42)
            .is_ok()
    );
    let ragged = Likelihood::Categorical { n_states: 21 }
        .validate(43)
        .expect_err("43 % 21");
    assert!(ragged.to_string().contains("43 features"), "{ragged}");
}

#[test]
fn serde_uses_snake_case_kind_tags_and_aliases() -> Result<(), serde_json::Error> {
    let binomial = serde_json::to_string(&Likelihood::Binomial { trials: 2 })?;
    assert_eq!(binomial, r#"{"kind":"binomial","trials":2}"#);
    let zinb = serde_json::to_string(&Likelihood::ZeroInflatedNegativeBinomial)?;
    assert_eq!(zinb, r#"{"kind":"zero_inflated_negative_binomial"}"#);
    let nb: Likelihood = serde_json::from_str(r#"{"kind":"nb"}"#)?;
    assert_eq!(nb, Likelihood::NegativeBinomial);
    let gaussian: Likelihood =
        serde_json::from_str(r#"{"kind":"gaussian","learned_variance":true}"#)?;
    assert_eq!(
        gaussian,
        Likelihood::Gaussian {
            learned_variance: true
        }
    );
    Ok(())
}

#[test]
fn counts_go_to_the_encoder_as_log1p() -> Result<(), Error> {
    let x = vector(&[0.0, 1.0, 9.0]);
    // ln(1 + x): 0, ln 2, ln 10
    assert_close(
        &Likelihood::Poisson.encoder_input(&x)?,
        &[0.0, std::f64::consts::LN_2, std::f64::consts::LN_10],
    );
    assert_close(&Likelihood::Bernoulli.encoder_input(&x)?, &[0.0, 1.0, 9.0]);
    Ok(())
}
