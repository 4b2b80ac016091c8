//! y = x Wᵀ + b as one CPU op with its own backward pass.
//!
//! candle's `matmul` backward always computes the gradient of both operands, so the first
//! encoder layer paid a [batch, genes] product (and a zero-filled buffer to add it to) for
//! the gradient of the data itself; and with W used through `W.t()`, W's gradient came back
//! transposed and was added through candle's strided path. Here ∂W = (∂y)ᵀ x comes out
//! contiguous, ∂b is a contiguous column sum (candle's `broadcast_add` backward reduces over
//! dimension 0 with two integer divisions per element: ~7% of an NB step for the
//! [batch, genes] head) and ∂x is computed only where the input needs it. The products are
//! candle's own CPU matmul (gemm).
//!
//! In a training pass ∂W can also go around candle's gradient store ([`WeightGradients`]):
//! candle adds every gradient to a zero-filled tensor of the variable's size, a memset and an
//! add over each weight matrix per step (13% of a protein step: two 2,000 × 5,250 matrices).
//! There ∂W of a dense input is kept as its factors ∂y and x ([`FactoredGradient`]), for the
//! optimiser to form in tiles or for [`WeightGradients::deliver`] to multiply out.

use std::sync::{Arc, Mutex, PoisonError};

use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor, bail};

use crate::ops::factored_gradient::FactoredGradient;
use crate::ops::negative_binomial::with_f32;
use crate::ops::sparse_rows::{MAX_DENSITY, SparseRows};

/// One use's ∂W, as the backward pass left it.
enum Held {
    /// Multiplied out.
    Dense(Tensor),
    /// ∂y and x (a dense input).
    Factored(FactoredGradient),
}

impl Held {
    /// The gradient multiplied out.
    fn dense(self) -> candle_core::Result<Tensor> {
        match self {
            Self::Dense(gradient) => Ok(gradient),
            Self::Factored(factors) => factors.dense(),
        }
    }
}

/// Where one use of a weight leaves its gradient.
type Slot = Arc<Mutex<Option<Held>>>;

/// The weight gradients of a training pass's fused linear ops, kept out of candle's
/// [`GradStore`] until [`WeightGradients::deliver`] puts them in. Each gradient comes out of
/// the op's backward as a fresh tensor (or its factors) and goes into the store as it is,
/// instead of being added to a zero-filled one.
#[derive(Default)]
pub(crate) struct WeightGradients {
    slots: Vec<(Tensor, Slot)>,
}

impl WeightGradients {
    /// A slot for one use of `weight`.
    fn slot(&mut self, weight: &Tensor) -> Slot {
        let slot = Slot::default();
        self.slots.push((weight.clone(), slot.clone()));
        slot
    }

    /// Puts the gradients the backward pass left into `grads`, adding to what the store
    /// already holds for the same weight (another use of it, such as an autograd penalty).
    /// With `keep_factored`, a factored gradient of a weight that nothing else gave a
    /// gradient is returned as it is instead of multiplied out (the optimiser forms it).
    pub(crate) fn deliver(
        self,
        grads: &mut GradStore,
        keep_factored: bool,
    ) -> candle_core::Result<Vec<FactoredGradient>> {
        let uses = |weight: &Tensor| {
            let id = weight.id();
            self.slots.iter().filter(|(w, _)| w.id() == id).count()
        };
        let single: Vec<bool> = self.slots.iter().map(|(w, _)| uses(w) == 1).collect();
        let mut factored = Vec::new();
        for ((weight, slot), single) in self.slots.into_iter().zip(single) {
            let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            let gradient = match taken {
                None => continue,
                Some(Held::Factored(gradient))
                    if keep_factored && single && grads.get(&weight).is_none() =>
                {
                    factored.push(gradient);
                    continue;
                }
                Some(held) => held.dense()?,
            };
            let total = match grads.remove(&weight) {
                Some(other) => (other + gradient)?,
                None => gradient,
            };
            grads.insert(&weight, total);
        }
        Ok(factored)
    }
}

/// Σ over rows of the row-major `values` with rows of `n`: the column sums, in one
/// contiguous pass (candle's dim-0 reduce does two integer divisions per element).
pub(crate) fn column_sums(values: &[f32], n: usize) -> Vec<f32> {
    let mut sums = vec![0f32; n];
    for row in values.chunks_exact(n) {
        for (sum, &v) in sums.iter_mut().zip(row) {
            *sum += v;
        }
    }
    sums
}

/// x [rows, n_in] · weight [n_out, n_in]ᵀ + bias [n_out] (f32, CPU).
struct Linear {
    /// Whether backward returns ∂x (false when x is data, not a function of variables).
    input_gradient: bool,
    /// Where backward leaves ∂W instead of returning it ([`WeightGradients`]).
    weight_gradient: Option<Slot>,
    /// Data x with few non-zeros, kept by the forward pass for ∂W ([`SparseRows`]).
    sparse: Mutex<Option<SparseRows>>,
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn cpu_fwd(
        &self,
        x: &CpuStorage,
        x_layout: &Layout,
        weight: &CpuStorage,
        weight_layout: &Layout,
        bias: &CpuStorage,
        bias_layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (rows, n_in) = x_layout.shape().dims2()?;
        let (n_out, weight_in) = weight_layout.shape().dims2()?;
        if weight_in != n_in || bias_layout.shape().elem_count() != n_out {
            bail!("linear: x [{rows}, {n_in}], weight [{n_out}, {weight_in}] and bias differ")
        }
        let sparse = if self.input_gradient {
            None
        } else {
            let x = contiguous_f32(x, x_layout, "x")?;
            SparseRows::of(x, n_in, MAX_DENSITY)
        };
        if let Some(sparse) = sparse {
            let weight = contiguous_f32(weight, weight_layout, "weight")?;
            let bias = contiguous_f32(bias, bias_layout, "bias")?;
            let out = sparse.linear(weight, bias, n_in);
            *self.sparse.lock().unwrap_or_else(PoisonError::into_inner) = Some(sparse);
            return Ok((CpuStorage::F32(out), Shape::from((rows, n_out))));
        }
        let x = contiguous_f32(x, x_layout, "x")?;
        let weight = contiguous_f32(weight, weight_layout, "weight")?;
        let bias = contiguous_f32(bias, bias_layout, "bias")?;
        let out = dense_affine(x, weight, bias, rows, n_in);
        Ok((CpuStorage::F32(out), Shape::from((rows, n_out))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        bias: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let grad = grad_res.contiguous()?;
        let n_out = bias.elem_count();
        let n_in = weight.dim(1)?;
        let sparse = self
            .sparse
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // ∂y read in place (no copy of a [rows, n_out] output's gradient)
        let (sums, sparse_gradient) = with_f32(&grad, |values| {
            let sums = column_sums(values, n_out);
            let sparse_gradient = sparse.map(|s| s.weight_gradient(values, n_out, n_in));
            Ok((sums, sparse_gradient))
        })?;
        let d_bias = Tensor::from_vec(sums, bias.shape(), bias.device())?;
        let d_x = if self.input_gradient {
            Some(grad.matmul(weight)?)
        } else {
            None
        };
        // this use's ∂W: the sparse product, or for a dense input (∂y)ᵀ x left as its factors
        let this_use = match sparse_gradient {
            Some(values) => Held::Dense(Tensor::from_vec(values, weight.shape(), weight.device())?),
            None => Held::Factored(FactoredGradient {
                weight: weight.clone(),
                grad_output: grad.clone(),
                input: x.contiguous()?,
            }),
        };
        let d_weight = match &self.weight_gradient {
            Some(slot) => {
                let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
                *held = Some(match held.take() {
                    None => this_use,
                    Some(earlier) => Held::Dense((earlier.dense()? + this_use.dense()?)?),
                });
                None
            }
            None => Some(this_use.dense()?),
        };
        Ok((d_x, d_weight, Some(d_bias)))
    }
}

/// x Wᵀ + b for row-major x [rows, n_in] and W [n_out, n_in], row-major [rows, n_out].
///
/// gemm's kernels work on column-major blocks, and a row-major product is computed as its
/// transpose, W xᵀ, which copies ("packs") all of W into column-major panels first: for the
/// genotype recipe's two 67,000 × 128 matrices a tenth of a training step. Asked for the
/// column-major result (xᵀ's rows are W's columns, read in place), gemm packs only x; the
/// result is then transposed while the bias is added. Each value is the same k-ordered sum.
fn dense_affine(x: &[f32], weight: &[f32], bias: &[f32], rows: usize, n_in: usize) -> Vec<f32> {
    let n_out = bias.len();
    assert!(x.len() == rows * n_in && weight.len() == n_out * n_in);
    let mut columns = vec![0f32; n_out * rows];
    if n_in > 0 && rows > 0 && n_out > 0 {
        let threads = candle_core::utils::get_num_threads();
        let parallelism = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        #[allow(unsafe_code)]
        // SAFETY: dst (r, o) is columns[r + o·rows], r < rows, o < n_out: in bounds of its
        // n_out·rows values; lhs (r, i) is x[r·n_in + i] and rhs (i, o) is weight[o·n_in + i],
        // i < n_in, in bounds by the assert. `columns` is owned here and aliases neither.
        unsafe {
            gemm::gemm(
                rows,
                n_out,
                n_in,
                columns.as_mut_ptr(),
                rows as isize,
                1,
                false,
                x.as_ptr(),
                1,
                n_in as isize,
                weight.as_ptr(),
                n_in as isize,
                1,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
    }
    let mut out = vec![0f32; rows * n_out];
    // blocks of outputs, so that the rows' writes stay within a few cache lines each
    const BLOCK: usize = 64;
    for o0 in (0..n_out).step_by(BLOCK) {
        let o1 = (o0 + BLOCK).min(n_out);
        for (r, row) in out.chunks_exact_mut(n_out).enumerate() {
            for o in o0..o1 {
                row[o] = columns[o * rows + r] + bias[o];
            }
        }
    }
    out
}

/// The values of a contiguous f32 CPU tensor.
fn contiguous_f32<'a>(
    storage: &'a CpuStorage,
    layout: &Layout,
    what: &str,
) -> candle_core::Result<&'a [f32]> {
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("linear: {what} must be contiguous")
    };
    Ok(&storage.as_slice::<f32>()?[start..end])
}

/// x Wᵀ + b for x [rows, n_in], W [n_out, n_in], b [n_out]: the fused op for f32 on the
/// CPU, candle ops elsewhere. ∂x is computed only when x depends on variables. With
/// `weight_gradients` (a training pass) the fused op leaves ∂W of a variable W there.
pub(crate) fn linear(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    weight_gradients: Option<&mut WeightGradients>,
) -> candle_core::Result<Tensor> {
    let fused = x.device().is_cpu()
        && [x.dtype(), weight.dtype(), bias.dtype()] == [DType::F32; 3]
        && x.rank() == 2
        && weight.rank() == 2
        && bias.rank() == 1;
    if fused {
        x.contiguous()?.apply_op3(
            &weight.contiguous()?,
            &bias.contiguous()?,
            Linear {
                input_gradient: x.track_op(),
                weight_gradient: weight_gradients
                    .filter(|_| weight.is_variable())
                    .map(|gradients| gradients.slot(weight)),
                sparse: Mutex::default(),
            },
        )
    } else {
        x.matmul(&weight.t()?)?.broadcast_add(bias)
    }
}

#[cfg(test)]
mod tests {
    use super::{WeightGradients, linear};
    use candle_core::{Device, Tensor, Var};

    /// Output and gradients equal candle autograd of x.matmul(W.t()) + b (within 1e-5),
    /// with ∂x for a variable input and without for a data input, and ∂W the same whether
    /// it goes through candle's store or is held by [`WeightGradients`] and delivered.
    #[test]
    fn matches_autograd_of_matmul_plus_bias() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let x = Var::new(&[[1f32, -2.0, 0.5], [3.0, 4.0, 0.25]], &device)?;
        let weight = Var::new(&[[0.5f32, -1.0, 2.0], [1.5, 0.25, -0.75]], &device)?;
        let bias = Var::new(&[0.1f32, -0.2], &device)?;
        let upstream = Tensor::new(&[[1f32, -2.0], [0.5, 3.0]], &device)?;
        let reference = x
            .as_tensor()
            .matmul(&weight.as_tensor().t()?)?
            .broadcast_add(bias.as_tensor())?;
        let reference_grads = (&reference * &upstream)?.sum_all()?.backward()?;
        let values = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let close = |a: &[f32], b: &[f32]| {
            assert_eq!(a.len(), b.len());
            for (a, b) in a.iter().zip(b) {
                assert!((a - b).abs() < 1e-5, "{a} vs {b}");
            }
        };
        for (input_gradient, held) in [(true, false), (false, false), (true, true), (false, true)] {
            let input = if input_gradient {
                x.as_tensor().clone()
            } else {
                x.as_tensor().detach()
            };
            let mut weight_gradients = WeightGradients::default();
            let y = linear(
                &input,
                weight.as_tensor(),
                bias.as_tensor(),
                held.then_some(&mut weight_gradients),
            )?;
            close(&values(&y)?, &values(&reference)?);
            let mut grads = (y * &upstream)?.sum_all()?.backward()?;
            // Held: candle's store has no ∂W until the pass delivers it.
            assert_eq!(grads.get(weight.as_tensor()).is_none(), held);
            let factored = weight_gradients.deliver(&mut grads, false)?;
            assert!(factored.is_empty());
            for var in [&weight, &bias] {
                let got = grads.get(var.as_tensor()).expect("gradient");
                let expected = reference_grads.get(var.as_tensor()).expect("gradient");
                close(&values(got)?, &values(expected)?);
            }
            let d_x = grads.get(x.as_tensor());
            assert_eq!(d_x.is_some(), input_gradient);
            if let Some(d_x) = d_x {
                let expected = reference_grads.get(x.as_tensor()).expect("gradient");
                close(&values(d_x)?, &values(expected)?);
            }
        }
        Ok(())
    }

    /// Delivered with `keep_factored`, ∂W of a dense input comes back as its factors (and not
    /// in the store), multiplying out to candle autograd's gradient; the same weight used
    /// twice, or given a gradient by autograd too, is added up in the store instead.
    #[test]
    fn factored_weight_gradient_multiplies_out_to_autograds() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let x = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 4.0, 0.25]], &device)?;
        let weight = Var::new(&[[0.5f32, -1.0, 2.0], [1.5, 0.25, -0.75]], &device)?;
        let bias = Var::new(&[0.1f32, -0.2], &device)?;
        let w = weight.as_tensor();
        let once = |y: &Tensor| y.sqr()?.sum_all();
        let reference = |twice: bool, penalty: bool| -> candle_core::Result<Vec<f32>> {
            let y = x.matmul(&w.t()?)?.broadcast_add(bias.as_tensor())?;
            let mut loss = once(&y)?;
            if twice {
                loss = (loss + once(&y)?)?;
            }
            if penalty {
                loss = (loss + w.sum_all()?)?;
            }
            let grads = loss.backward()?;
            grads
                .get(w)
                .expect("gradient")
                .flatten_all()?
                .to_vec1::<f32>()
        };
        for (twice, penalty) in [(false, false), (true, false), (false, true)] {
            let mut weight_gradients = WeightGradients::default();
            let mut loss = once(&linear(
                &x,
                w,
                bias.as_tensor(),
                Some(&mut weight_gradients),
            )?)?;
            if twice {
                let y = linear(&x, w, bias.as_tensor(), Some(&mut weight_gradients))?;
                loss = (loss + once(&y)?)?;
            }
            if penalty {
                loss = (loss + w.sum_all()?)?;
            }
            let mut grads = loss.backward()?;
            let factored = weight_gradients.deliver(&mut grads, true)?;
            let got = match (twice || penalty, factored.as_slice()) {
                (false, [one]) => {
                    assert!(grads.get(w).is_none());
                    one.dense()?
                }
                (true, []) => grads.get(w).expect("gradient").clone(),
                _ => panic!("{} factored gradients", factored.len()),
            };
            let got = got.flatten_all()?.to_vec1::<f32>()?;
            let expected = reference(twice, penalty)?;
            for (a, b) in got.iter().zip(&expected) {
                assert!((a - b).abs() < 1e-4, "{got:?} vs {expected:?}");
            }
        }
        Ok(())
    }

    /// The column-major product plus bias is bit-for-bit candle's row-major
    /// `x.matmul(W.t()) + b`, on shapes with ragged kernel blocks, one row, and a wide input
    /// (k split into several blocks); and an entry by hand.
    #[test]
    fn column_major_product_equals_candles_matmul() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let wave =
            |n: usize, k: f32| -> Vec<f32> { (0..n).map(|i| (i as f32 * k).sin()).collect() };
        for (rows, n_in, n_out) in [(37, 300, 500), (1, 7, 3), (32, 5000, 130)] {
            let (x, w, b) = (
                wave(rows * n_in, 0.31),
                wave(n_out * n_in, 0.17),
                wave(n_out, 0.5),
            );
            let got = super::dense_affine(&x, &w, &b, rows, n_in);
            let xt = Tensor::from_slice(&x, (rows, n_in), &device)?;
            let wt = Tensor::from_slice(&w, (n_out, n_in), &device)?;
            let bt = Tensor::from_slice(&b, n_out, &device)?;
            let expected = xt.matmul(&wt.t()?)?.broadcast_add(&bt)?;
            assert_eq!(got, expected.flatten_all()?.to_vec1::<f32>()?);
            let by_hand: f64 = f64::from(b[2])
                + (0..n_in)
                    .map(|i| f64::from(x[n_in * (rows - 1) + i]) * f64::from(w[2 * n_in + i]))
                    .sum::<f64>();
            let value = f64::from(got[(rows - 1) * n_out + 2]);
            assert!((value - by_hand).abs() < 1e-3, "{value} vs {by_hand}");
        }
        Ok(())
    }

    /// A data input with few non-zeros (one-hot rows: 2 of 40 values) takes the sparse
    /// products ([`SparseRows`](crate::ops::sparse_rows::SparseRows)) and gives what candle
    /// autograd of the dense product gives.
    #[test]
    fn one_hot_data_input_matches_autograd() -> candle_core::Result<()> {
        let device = Device::Cpu;
        let mut x = vec![0f32; 2 * 20];
        x[3] = 1.0;
        x[20 + 17] = 1.0;
        let x = Tensor::from_vec(x, (2, 20), &device)?;
        let w: Vec<f32> = (0..60).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let weight = Var::from_tensor(&Tensor::from_vec(w, (3, 20), &device)?)?;
        let bias = Var::new(&[0.5f32, -1.0, 2.0], &device)?;
        let upstream = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 0.25, -1.0]], &device)?;
        let reference = x
            .matmul(&weight.as_tensor().t()?)?
            .broadcast_add(bias.as_tensor())?;
        let reference_grads = (&reference * &upstream)?.sum_all()?.backward()?;
        let y = linear(&x, weight.as_tensor(), bias.as_tensor(), None)?;
        assert_eq!(y.to_vec2::<f32>()?, reference.to_vec2::<f32>()?);
        let grads = (y * &upstream)?.sum_all()?.backward()?;
        for var in [&weight, &bias] {
            let got = grads.get(var.as_tensor()).expect("gradient");
            let expected = reference_grads.get(var.as_tensor()).expect("gradient");
            assert_eq!(
                got.flatten_all()?.to_vec1::<f32>()?,
                expected.flatten_all()?.to_vec1::<f32>()?
            );
        }
        Ok(())
    }
}
