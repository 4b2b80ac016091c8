use crate::likelihood::count::{
    negative_binomial_log_prob, negative_binomial_log_prob_from_logits,
    negative_binomial_row_log_prob_from_logits,
};
use candle_core::{D, Device, Tensor, Var};
use candle_nn::ops::softmax;

/// Zeros, the short path (1, 16), the general path (17, 250, 2000), small and large θ.
/// Logits ln μ with library Σμ per row give exactly these μ.
fn inputs() -> (Tensor, Tensor, Tensor, Tensor) {
    let device = Device::Cpu;
    let x = Tensor::new(
        &[[0f32, 1.0, 16.0, 17.0], [250.0, 2000.0, 3.0, 0.0]],
        &device,
    );
    let mu = [[0.5f32, 2.0, 10.0, 30.0], [200.0, 1500.0, 0.01, 80.0]];
    let library: Vec<f32> = mu.iter().map(|row| row.iter().sum()).collect();
    let logits = Tensor::new(&mu, &device).and_then(|t| t.log());
    let theta = Tensor::new(&[0.3f32, 5.0, 1e4, 2.0], &device);
    let library = Tensor::new(library.as_slice(), &device);
    (
        x.expect("x"),
        logits.expect("logits"),
        library.expect("library"),
        theta.expect("theta"),
    )
}

/// scipy 1.17.1 `nbinom.logpmf(x, n=θ, p=θ/(θ+μ))`, float64, pasted; f32 result within
/// 1e-5 relative (the ε = 1e-8 of scVI's formula moves values by < 1e-7 here).
#[test]
fn fused_forward_matches_scipy() -> candle_core::Result<()> {
    let expected = [
        -0.2942487759035179,
        -1.3256862391673325,
        -3.8295001495526577,
        -3.7519605459221106,
        -7.287096494119221,
        -7.960579247112526,
        -15.616973047040037,
        -7.427144133408616,
    ];
    let (x, logits, library, theta) = inputs();
    let fused = negative_binomial_log_prob_from_logits(&x, &logits, &library, &theta)?;
    let values = fused.flatten_all()?.to_vec1::<f32>()?;
    for (v, e) in values.iter().zip(expected) {
        assert!(
            (f64::from(*v) - e).abs() <= 1e-5 * e.abs(),
            "{v} vs scipy {e}"
        );
    }
    // summed per row: the sums of the same scipy values
    let sums = negative_binomial_row_log_prob_from_logits(&x, &logits, &library, &theta)?;
    let sums = sums.to_vec1::<f32>()?;
    for (row, sum) in sums.iter().enumerate() {
        let e: f64 = expected[row * 4..(row + 1) * 4].iter().sum();
        assert!(
            (f64::from(*sum) - e).abs() <= 1e-5 * e.abs(),
            "{sum} vs {e}"
        );
    }
    Ok(())
}

/// The analytic gradients equal candle autograd through softmax × library and the
/// tensor-op formula (whose lgamma backward is digamma, checked against scipy), within
/// 1e-4 relative (or absolute below 1), per value and summed per row.
#[test]
fn fused_gradients_match_autograd_of_the_composite_formula() -> candle_core::Result<()> {
    let (x, logits, library, theta) = inputs();
    // a non-uniform upstream gradient, as from a weighted sum
    let value_weights = Tensor::new(
        &[[1f32, 2.0, 0.5, 1.0], [3.0, 1.0, 1.0, 0.25]],
        &Device::Cpu,
    )?;
    let row_weights = Tensor::new(&[1.5f32, -0.5], &Device::Cpu)?;
    let grads_of = |fused: bool, rows: bool| -> candle_core::Result<(Vec<f32>, Vec<f32>)> {
        let logits = Var::from_tensor(&logits)?;
        let theta = Var::from_tensor(&theta)?;
        let objective = if fused && rows {
            let log_prob = negative_binomial_row_log_prob_from_logits(
                &x,
                logits.as_tensor(),
                &library,
                theta.as_tensor(),
            )?;
            (log_prob * &row_weights)?
        } else {
            let log_prob = if fused {
                negative_binomial_log_prob_from_logits(
                    &x,
                    logits.as_tensor(),
                    &library,
                    theta.as_tensor(),
                )?
            } else {
                let mu = softmax(logits.as_tensor(), D::Minus1)?
                    .broadcast_mul(&library.unsqueeze(1)?)?;
                negative_binomial_log_prob(&x, &mu, theta.as_tensor())?
            };
            if rows {
                log_prob.sum(1)?.mul(&row_weights)?
            } else {
                (log_prob * &value_weights)?
            }
        };
        let grads = objective.sum_all()?.backward()?;
        let get = |v: &Var| -> candle_core::Result<Vec<f32>> {
            grads
                .get(v.as_tensor())
                .expect("gradient")
                .flatten_all()?
                .to_vec1::<f32>()
        };
        Ok((get(&logits)?, get(&theta)?))
    };
    for rows in [false, true] {
        let (fused_logits, fused_theta) = grads_of(true, rows)?;
        let (composite_logits, composite_theta) = grads_of(false, rows)?;
        let pairs = fused_logits.iter().zip(&composite_logits);
        for (a, b) in pairs.chain(fused_theta.iter().zip(&composite_theta)) {
            assert!(
                (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                "fused {a} vs autograd {b} (summed rows: {rows})"
            );
        }
    }
    Ok(())
}
