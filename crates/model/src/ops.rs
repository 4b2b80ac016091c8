//! Fused CPU kernels with their own backward passes (candle `CustomOp`s): the affine map
//! (whose weight gradient can stay as its two factors for the optimiser to form in tiles),
//! training-mode batch-norm, the binomial, categorical, negative-binomial and ZINB
//! log-likelihoods of decoder logits, a variational weight's draw and KL, DeepSequence's
//! group-sparse scaling, a given gradient fed
//! into a backward pass, and the special functions candle lacks; in the `cuda` build, CUDA
//! kernels for the negative binomial likelihood and the AdamW step.

#[cfg(feature = "cuda")]
pub(crate) mod adamw_cuda;
pub(crate) mod batch_norm;
pub(crate) mod binomial;
pub(crate) mod categorical;
pub(crate) mod count_tables;
#[cfg(feature = "cuda")]
pub(crate) mod cuda_kernels;
pub(crate) mod factored_gradient;
pub(crate) mod gradient_seed;
pub(crate) mod group_scale;
pub(crate) mod linear;
pub(crate) mod negative_binomial;
#[cfg(feature = "cuda")]
pub(crate) mod negative_binomial_cuda;
pub(crate) mod sparse_rows;
pub mod special;
#[cfg(test)]
pub(crate) mod test_support;
pub(crate) mod variational;
pub(crate) mod zero_inflated_negative_binomial;
