//! Fused CPU kernels with their own backward passes (candle `CustomOp`s): the affine map,
//! training-mode batch-norm, the binomial, categorical, negative-binomial and ZINB
//! log-likelihoods of decoder logits, and the special functions candle lacks.

pub(crate) mod batch_norm;
pub(crate) mod binomial;
pub(crate) mod categorical;
pub(crate) mod count_tables;
pub(crate) mod linear;
pub(crate) mod negative_binomial;
pub(crate) mod sparse_rows;
pub mod special;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod zero_inflated_negative_binomial;
