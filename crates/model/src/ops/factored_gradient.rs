//! A weight gradient left as its two factors, ∂W = (∂y)ᵀ x, for the optimiser to form in
//! cache-sized tiles where it updates W.
//!
//! ∂W of a [n_out, n_in] weight over a step of `rows` rows is a product of rank `rows`: for
//! the genotype recipe's output layer (67,000 sites × 128, minibatch 32) it is 8.6 M values
//! computed from 2.2 M. Written out whole it costs a zero-filled buffer, the product's write
//! and the optimiser's read, three passes over a matrix the size of W per step, for each of
//! the two large layers; formed tile by tile (the same gemm products, a tile at a time) and
//! consumed at once by the AdamW update ([`FactoredGradient::for_each_tile`]) it stays in
//! the cache.

use candle_core::Tensor;
use rayon::prelude::*;

/// The side of a tile of ∂W: 256 × 256 values (256 KiB) per thread, while each tile reads a
/// 256-wide slice of both factors.
const TILE: usize = 256;

/// ∂W = (∂y)ᵀ x of one weight in one step, not multiplied out.
pub(crate) struct FactoredGradient {
    /// The weight W [n_out, n_in] the gradient belongs to.
    pub(crate) weight: Tensor,
    /// ∂y [rows, n_out], contiguous.
    pub(crate) grad_output: Tensor,
    /// x [rows, n_in], contiguous.
    pub(crate) input: Tensor,
}

impl FactoredGradient {
    /// The gradient multiplied out, [n_out, n_in]: candle's product (∂y)ᵀ x.
    pub(crate) fn dense(&self) -> candle_core::Result<Tensor> {
        self.grad_output.t()?.matmul(&self.input)
    }
}

/// The factors' values: ∂y [rows, n_out] and x [rows, n_in], row-major.
pub(crate) struct Factors<'a> {
    /// ∂y, `rows × n_out` values.
    pub(crate) grad_output: &'a [f32],
    /// x, `rows × n_in` values.
    pub(crate) input: &'a [f32],
    /// Rows of the step (the inner dimension of the product).
    pub(crate) rows: usize,
    /// Columns of ∂y: W's rows.
    pub(crate) n_out: usize,
    /// Columns of x: W's columns.
    pub(crate) n_in: usize,
}

/// One tile's parts of W-sized buffers: its rows' segments, in row order.
type Segments<'a> = Vec<(&'a mut [f32], &'a mut [f32], &'a mut [f32])>;

impl Factors<'_> {
    /// ∂W[o0 .. o0 + height, i0 .. i0 + width] into `tile` (row-major, height × width).
    pub(crate) fn tile(&self, o0: usize, height: usize, i0: usize, width: usize, tile: &mut [f32]) {
        assert!(o0 + height <= self.n_out && i0 + width <= self.n_in);
        assert!(tile.len() == height * width);
        assert!(self.grad_output.len() == self.rows * self.n_out);
        assert!(self.input.len() == self.rows * self.n_in);
        if self.rows == 0 {
            tile.fill(0.0);
            return;
        }
        // The same call as candle's CPU matmul of (∂y)ᵀ [n_out, rows] (strides 1, n_out) by
        // x [rows, n_in], on a sub-block of both: dst = 0·dst + 1·lhs·rhs.
        #[allow(unsafe_code)]
        // SAFETY: the asserts above keep every access in bounds: lhs element (r, k) is
        // grad_output[o0 + r + k·n_out] with r < height, k < rows; rhs element (k, c) is
        // input[i0 + c + k·n_in] with c < width; dst element (r, c) is tile[r·width + c].
        // `tile` is borrowed mutably and does not alias the factors; read_dst is false.
        unsafe {
            gemm::gemm(
                height,
                width,
                self.rows,
                tile.as_mut_ptr(),
                1,
                width as isize,
                false,
                self.grad_output.as_ptr().add(o0),
                self.n_out as isize,
                1,
                self.input.as_ptr().add(i0),
                1,
                self.n_in as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }

    /// Calls `apply(theta, m, v, grad)` over all of W-sized `theta`, `m` and `v` (row-major
    /// [n_out, n_in]) with ∂W's values for each part, formed tile by tile on rayon's pool.
    /// Every value of ∂W is the same product whichever thread forms its tile.
    pub(crate) fn for_each_tile<F>(&self, theta: &mut [f32], m: &mut [f32], v: &mut [f32], apply: F)
    where
        F: Fn(&mut [f32], &mut [f32], &mut [f32], &[f32]) + Sync,
    {
        let (n_out, n_in) = (self.n_out, self.n_in);
        assert!(theta.len() == n_out * n_in && m.len() == theta.len() && v.len() == theta.len());
        if theta.is_empty() {
            return;
        }
        let (height, width) = (n_out.min(TILE), n_in.min(TILE));
        let column_tiles = n_in.div_ceil(width);
        let block = height * n_in;
        let mut tiles: Vec<(usize, usize, Segments)> = Vec::new();
        let blocks = theta
            .chunks_mut(block)
            .zip(m.chunks_mut(block))
            .zip(v.chunks_mut(block));
        for (index, ((theta, m), v)) in blocks.enumerate() {
            let o0 = index * height;
            let first = tiles.len();
            tiles.extend((0..column_tiles).map(|c| (o0, c * width, Segments::new())));
            if column_tiles == 1 {
                // whole rows: the block is one segment
                tiles[first].2.push((theta, m, v));
                continue;
            }
            let rows = theta
                .chunks_mut(n_in)
                .zip(m.chunks_mut(n_in))
                .zip(v.chunks_mut(n_in));
            for ((theta, m), v) in rows {
                let pieces = theta
                    .chunks_mut(width)
                    .zip(m.chunks_mut(width))
                    .zip(v.chunks_mut(width));
                for (c, ((theta, m), v)) in pieces.enumerate() {
                    tiles[first + c].2.push((theta, m, v));
                }
            }
        }
        tiles
            .into_par_iter()
            .for_each_init(Vec::new, |buffer, (o0, i0, segments)| {
                let tile_width = width.min(n_in - i0);
                let tile_height = height.min(n_out - o0);
                buffer.resize(tile_height * tile_width, 0.0);
                self.tile(o0, tile_height, i0, tile_width, buffer);
                let mut offset = 0;
                for (theta, m, v) in segments {
                    let grad = &buffer[offset..offset + theta.len()];
                    offset += theta.len();
                    apply(theta, m, v, grad);
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Deterministic values in [−1, 1).
    fn wave(n: usize, k: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * k).sin()).collect()
    }

    /// ∂W collected from `for_each_tile` on `threads` threads, after checking that every
    /// value was visited once.
    fn tiled(factors: &Factors, threads: usize) -> Vec<f32> {
        let size = factors.n_out * factors.n_in;
        let (mut theta, mut m, mut v) = (vec![0f32; size], vec![0f32; size], vec![0f32; size]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
        pool.unwrap().install(|| {
            factors.for_each_tile(&mut theta, &mut m, &mut v, |theta, m, v, grad| {
                theta.copy_from_slice(grad);
                m.iter_mut().for_each(|x| *x += 1.0);
                v.iter_mut().for_each(|x| *x += 2.0);
            })
        });
        assert!(m.iter().all(|&x| x == 1.0) && v.iter().all(|&x| x == 2.0));
        theta
    }

    /// The tiles are bit-for-bit candle's product (∂y)ᵀ x, the same on 1 and 3 threads, and
    /// one entry checked by hand (a sum over the rows), on shapes with one tile, with ragged
    /// edge tiles in both directions, and with many column tiles of a wide input.
    #[test]
    fn tiles_equal_candles_product_on_any_thread_count() -> candle_core::Result<()> {
        for (rows, n_out, n_in) in [(3, 2, 4), (5, 300, 7), (32, 9, 600), (7, 520, 513)] {
            let grad_output = wave(rows * n_out, 0.37);
            let input = wave(rows * n_in, 0.11);
            let device = Device::Cpu;
            let factored = FactoredGradient {
                weight: Tensor::zeros((n_out, n_in), candle_core::DType::F32, &device)?,
                grad_output: Tensor::from_slice(&grad_output, (rows, n_out), &device)?,
                input: Tensor::from_slice(&input, (rows, n_in), &device)?,
            };
            let expected = factored.dense()?.flatten_all()?.to_vec1::<f32>()?;
            let factors = Factors {
                grad_output: &grad_output,
                input: &input,
                rows,
                n_out,
                n_in,
            };
            let got = tiled(&factors, 1);
            assert_eq!(got, expected, "{rows} × {n_out} × {n_in}");
            assert_eq!(tiled(&factors, 3), got);
            // by hand: ∂W[1, 2] = Σ_k ∂y[k, 1]·x[k, 2]
            let by_hand: f64 = (0..rows)
                .map(|k| f64::from(grad_output[k * n_out + 1]) * f64::from(input[k * n_in + 2]))
                .sum();
            assert!((f64::from(got[n_in + 2]) - by_hand).abs() < 1e-5);
        }
        Ok(())
    }
}
