//! What the fused ops' tests share.

use candle_core::{Tensor, Var};

/// Asserts that `var`'s gradient through `fused` equals its gradient through `reference` (each
/// weighted by `weights` and summed) to 1e-5, relative to the larger of 1 and the reference.
pub(crate) fn assert_same_gradient(
    fused: &Tensor,
    reference: &Tensor,
    weights: &Tensor,
    var: &Var,
) -> candle_core::Result<()> {
    let gradient = |output: &Tensor| -> candle_core::Result<Vec<f32>> {
        let grads = output.mul(weights)?.sum_all()?.backward()?;
        grads
            .get(var)
            .expect("the output depends on the variable")
            .flatten_all()?
            .to_vec1::<f32>()
    };
    let (a, b) = (gradient(fused)?, gradient(reference)?);
    for (a, b) in a.iter().zip(&b) {
        assert!(
            (a - b).abs() <= 1e-5 * b.abs().max(1.0),
            "gradient {a} vs {b}"
        );
    }
    Ok(())
}
