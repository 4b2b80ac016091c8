//! Special functions candle lacks: `lgamma`, `digamma`, `log1p`, `softplus`, `log_sigmoid`.
//!
//! On the CPU, `lgamma`, `digamma` and `log1p` are candle [`CustomOp1`]s evaluated in f64
//! (Lanczos approximation for ln Γ, recurrence plus asymptotic series for ψ) for f32 and f64
//! tensors; `lgamma`'s gradient is `digamma`. On other devices (CUDA, Metal) the same
//! functions are built from candle's own tensor ops (a shifted Stirling series for ln Γ), so
//! they run there and autograd differentiates them; that path works in the tensor's dtype
//! and covers x > 0 only.

use candle_core::backend::BackendStorage;
use candle_core::cpu_backend::unary_map;
use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor, bail};
use std::f64::consts::PI;

/// ln(2π) / 2, shared by the Lanczos and Stirling forms of ln Γ.
const HALF_LN_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// Lanczos g = 7, n = 9 coefficients (Godfrey), relative error about 1e-15 for Γ.
const LANCZOS_G: f64 = 7.0;
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// ln |Γ(x)| of one f64: Lanczos for x ≥ 0.5, reflection below. Poles (0, −1, −2, …) give +∞.
pub fn ln_gamma_f64(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    if x < 0.5 {
        // Γ(x)Γ(1−x) = π / sin(πx)
        let sin = (PI * x).sin().abs();
        if sin == 0.0 {
            return f64::INFINITY;
        }
        return (PI / sin).ln() - ln_gamma_f64(1.0 - x);
    }
    let shifted = x - 1.0;
    let mut series = LANCZOS[0];
    for (k, coefficient) in LANCZOS.iter().enumerate().skip(1) {
        series += coefficient / (shifted + k as f64);
    }
    let t = shifted + LANCZOS_G + 0.5;
    HALF_LN_TWO_PI + (shifted + 0.5) * t.ln() - t + series.ln()
}

/// ψ(x) = d/dx ln Γ(x) of one f64: upward recurrence to x ≥ 10, then the asymptotic series
/// (truncation error below 3e-14 there); reflection for x < 0. Poles give NaN.
pub fn digamma_f64(x: f64) -> f64 {
    if x.is_nan() || x == f64::NEG_INFINITY || (x <= 0.0 && x == x.floor()) {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return f64::INFINITY;
    }
    let mut x = x;
    let mut result = 0.0;
    if x < 0.0 {
        // ψ(1−x) − ψ(x) = π cot(πx)
        result -= PI / (PI * x).tan();
        x = 1.0 - x;
    }
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let tail = inv2
        * (1.0 / 12.0
            - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))));
    result + x.ln() - 0.5 * inv - tail
}

/// ln(1 + t) of one f32 for t ≥ 0, branch-free so loops over slices vectorise: ln u for
/// u = 1 + t by exponent/mantissa split and the Cephes `logf` polynomial, then the
/// correction −((u − 1) − t)/u for the rounding of 1 + t. Relative error below 3e-7 on
/// [0, 1e30]; t = +∞ or NaN give garbage (callers check).
#[inline(always)]
pub fn log1p_nonnegative_f32(t: f32) -> f32 {
    const SQRT_2: f32 = std::f32::consts::SQRT_2;
    let u = 1.0 + t;
    let bits = u.to_bits();
    let mut exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let mut mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // [1, 2)
    let halve = mantissa > SQRT_2;
    mantissa = if halve { mantissa * 0.5 } else { mantissa };
    exponent += i32::from(halve);
    let f = mantissa - 1.0; // [√½ − 1, √2 − 1]
    let z = f * f;
    let mut poly = 7.037_683_6e-2_f32;
    for c in [
        -1.151_461e-1_f32,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ] {
        poly = poly * f + c;
    }
    let e = exponent as f32;
    let ln_u = f + (poly * f * z - 0.5 * z - 2.121_944_4e-4 * e) + 0.693_359_4 * e;
    // ln(1 + t) = ln u − ((u − 1) − t)/u to first order
    ln_u - ((u - 1.0) - t) / u
}

/// ln x of one positive normal f64, branch-free so loops over slices vectorise (libm's `ln`
/// is a call per value): x = 2^e·m with m in [√½, √2) from the bits (e converted through the
/// 2⁵² magic number: AVX2 has no 64-bit integer to float conversion), then
/// ln m = 2·atanh(s) = 2s(1 + s²/3 + … + s¹⁶/17) with s = (m − 1)/(m + 1), |s| ≤ 0.172, and
/// e·ln 2 in two parts. Relative error below 1e-14 (tested against libm); zero, subnormal,
/// negative, infinite or NaN x give garbage (callers pass normal products only).
#[inline(always)]
pub fn ln_normal_f64(x: f64) -> f64 {
    const SQRT_2: f64 = std::f64::consts::SQRT_2;
    // fdlibm's split of ln 2: 0.693147180369123816490 (its low 32 bits zero) + 1.9082e-10
    const LN_2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN_2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let bits = x.to_bits();
    // biased exponent as the low bits of 2⁵²'s mantissa: exact, no integer conversion
    let biased = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52)) - TWO_52;
    let mantissa = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let halve = mantissa > SQRT_2;
    let m = if halve { mantissa * 0.5 } else { mantissa };
    let e = biased - 1023.0 + if halve { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut series = 1.0 / 17.0;
    for c in [
        1.0 / 15.0,
        1.0 / 13.0,
        1.0 / 11.0,
        1.0 / 9.0,
        1.0 / 7.0,
        0.2,
        1.0 / 3.0,
    ] {
        series = series * s2 + c;
    }
    let ln_m = 2.0 * s + 2.0 * s * s2 * series;
    e * LN_2_HI + (ln_m + e * LN_2_LO)
}

/// e^x of one f32 for x ≤ 0 (softmax numerators), branch-free so loops over slices
/// vectorise: x = n·ln 2 + r with n the nearest integer to x / ln 2 (ln 2 in two parts), the Cephes `expf`
/// polynomial for e^r, and 2^n from the exponent bits. Relative error below 2e-7 for
/// x ≥ −87.3; below that (where e^x is subnormal) 0. NaN gives NaN, so callers can still
/// detect bad inputs.
#[inline(always)]
pub fn exp_nonpositive_f32(x: f32) -> f32 {
    const LOWEST: f32 = -87.33;
    // comparisons with NaN are false: a NaN x goes through the polynomial and stays NaN
    let clamped = if x < LOWEST { LOWEST } else { x };
    // round to nearest by adding and subtracting 1.5·2²³ (no libm `floorf` call, which
    // would keep the loop from vectorising on x86-64's baseline)
    const ROUND: f32 = 12_582_912.0;
    let n = (clamped * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = clamped - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let mut poly = 1.987_569_1e-4_f32;
    for c in [
        1.398_2e-3_f32,
        8.333_452e-3,
        4.166_579_6e-2,
        1.666_666_5e-1,
        0.5,
    ] {
        poly = poly * r + c;
    }
    let e_r = poly * r * r + r + 1.0;
    // n ∈ [−126, 0]: 2^n is a normal f32 (NaN casts to 0, and e_r is NaN then)
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    if x < LOWEST { 0.0 } else { e_r * scale }
}

/// The element-wise functions computed by the CPU custom op.
#[derive(Clone, Copy, Debug)]
enum Special {
    LnGamma,
    Digamma,
    Log1p,
}

impl Special {
    fn eval(self, x: f64) -> f64 {
        match self {
            Special::LnGamma => ln_gamma_f64(x),
            Special::Digamma => digamma_f64(x),
            Special::Log1p => x.ln_1p(),
        }
    }
}

impl CustomOp1 for Special {
    fn name(&self) -> &'static str {
        match self {
            Special::LnGamma => "lgamma",
            Special::Digamma => "digamma",
            Special::Log1p => "log1p",
        }
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let op = *self;
        let values = match storage {
            CpuStorage::F32(values) => {
                CpuStorage::F32(unary_map(values, layout, |x| op.eval(f64::from(x)) as f32))
            }
            CpuStorage::F64(values) => CpuStorage::F64(unary_map(values, layout, |x| op.eval(x))),
            other => bail!(
                "{}: dtype {:?} is not supported, convert the tensor to f32 or f64",
                self.name(),
                other.dtype()
            ),
        };
        Ok((values, layout.shape().clone()))
    }

    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        match self {
            Special::LnGamma => {
                let slope = arg.apply_op1_no_bwd(&Special::Digamma)?;
                Ok(Some(grad_res.mul(&slope)?))
            }
            Special::Log1p => Ok(Some(grad_res.div(&(arg + 1.0)?)?)),
            Special::Digamma => Err(candle_core::Error::BackwardNotSupported { op: "digamma" }),
        }
    }
}

/// ln Γ(x) element-wise, differentiable (its gradient is ψ(x)).
///
/// CPU: f32/f64, relative error below 1e-6 on (0, 1e6] (evaluated in f64). Other devices:
/// shifted Stirling series from tensor ops, x > 0 only, absolute error about 1e-5 in f32.
pub fn lgamma(x: &Tensor) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.apply_op1(Special::LnGamma)
    } else {
        lgamma_from_tensor_ops(x)
    }
}

/// ψ(x) = d/dx ln Γ(x) element-wise. Not differentiable itself (no trigamma): backpropagating
/// through it is a candle `BackwardNotSupported` error. Other devices: tensor ops, x > 0 only.
pub fn digamma(x: &Tensor) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.apply_op1(Special::Digamma)
    } else {
        digamma_from_tensor_ops(x)
    }
}

/// ln(1 + x) element-wise, accurate for small x on the CPU; differentiable.
/// Other devices compute `ln(1 + x)` directly (absolute error below one f32 ulp of 1).
pub fn log1p(x: &Tensor) -> candle_core::Result<Tensor> {
    if x.device().is_cpu() {
        x.apply_op1(Special::Log1p)
    } else {
        (x + 1.0)?.log()
    }
}

/// softplus(x) = ln(1 + eˣ) without overflow: max(x, 0) + ln(1 + e^(−|x|)).
pub fn softplus(x: &Tensor) -> candle_core::Result<Tensor> {
    let tail = (x.abs()?.neg()?.exp()? + 1.0)?.log()?;
    x.relu()? + tail
}

/// ln σ(x) = −softplus(−x), stable for large |x|.
pub fn log_sigmoid(x: &Tensor) -> candle_core::Result<Tensor> {
    softplus(&x.neg()?)?.neg()
}

/// ln(a(a+1)) + ln((a+2)(a+3)) + ln((a+4)(a+5)) = Σₖ₌₀⁵ ln(a+k), in three logs; the pairs
/// overflow f32 only beyond x ≈ 1.8e19.
fn ln_rising_factorial_6(x: &Tensor) -> candle_core::Result<Tensor> {
    let pair = |k: f64| -> candle_core::Result<Tensor> { ((x + k)? * (x + (k + 1.0))?)?.log() };
    (pair(0.0)? + pair(2.0)?)? + pair(4.0)?
}

/// ln Γ(x) = ln Γ(x + 6) − Σₖ₌₀⁵ ln(x + k), with Stirling's series at z = x + 6 ≥ 6:
/// (z − ½) ln z − z + ½ ln 2π + 1/(12z) − 1/(360z³) + 1/(1260z⁵), truncation below 3e-9.
fn lgamma_from_tensor_ops(x: &Tensor) -> candle_core::Result<Tensor> {
    let z = (x + 6.0)?;
    let inv = z.recip()?;
    let inv2 = inv.sqr()?;
    // 1/(12z) − 1/(360z³) + 1/(1260z⁵) = inv · (1/12 − inv2 · (1/360 − inv2/1260))
    let series = (inv2.affine(-1.0 / 1260.0, 1.0 / 360.0)? * &inv2)?
        .affine(-1.0, 1.0 / 12.0)?
        .mul(&inv)?;
    let stirling = (((z.affine(1.0, -0.5)? * z.log()?)? - &z)? + series)?;
    (stirling + HALF_LN_TWO_PI)? - ln_rising_factorial_6(x)?
}

/// ψ(x) = ψ(x + 6) − Σₖ₌₀⁵ 1/(x + k), with the asymptotic series at z = x + 6.
fn digamma_from_tensor_ops(x: &Tensor) -> candle_core::Result<Tensor> {
    let z = (x + 6.0)?;
    let inv = z.recip()?;
    let inv2 = inv.sqr()?;
    // 1/(12z²) − 1/(120z⁴) + 1/(252z⁶)
    let tail = (inv2.affine(-1.0 / 252.0, 1.0 / 120.0)? * &inv2)?
        .affine(-1.0, 1.0 / 12.0)?
        .mul(&inv2)?;
    let mut result = ((z.log()? - (inv * 0.5)?)? - tail)?;
    for k in 0..6 {
        result = (result - (x + f64::from(k))?.recip()?)?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Var};

    const SQRT_2_F64: f64 = std::f64::consts::SQRT_2;

    /// (x, gammaln(x), digamma(x)) from scipy 1.17.1 `scipy.special.gammaln` / `digamma`
    /// (float64), computed with python3 on this machine and pasted here.
    const SCIPY: [(f64, f64, f64); 21] = [
        (1e-06, 13.81550998074943, -1000000.57721402),
        (0.001, 6.907178885383853, -1000.5755719318103),
        (0.1, 2.252712651734206, -10.423754940411076),
        (0.3, 1.0957979948180756, -3.502524222200133),
        (0.5, 0.5723649429247, -1.9635100260214235),
        (0.9, 0.06637623973474327, -0.7549269499470516),
        (1.0001, -5.771334222049889e-05, -0.5770511835143349),
        (1.5, -0.12078223763524526, 0.03648997397857652),
        (1.9, -0.0389842759230834, 0.3561841611640596),
        (2.5, 0.2846828704729192, 0.7031566406452432),
        (3.7, 1.428072326665388, 1.1671535393615113),
        (6.0, 4.787491742782046, 1.7061176684318005),
        (10.3, 13.482036786138359, 2.2828154464391224),
        (57.2, 173.1600014332924, 4.03778717055471),
        (100.0, 359.1342053695754, 4.600161852738088),
        (1234.5, 7550.550901077894, 7.1180162318279985),
        (100000.0, 1051287.7089736569, 11.512920464961896),
        (999999.5, 12815497.661392707, 13.815509557963816),
        (1000000.0, 12815504.569147611, 13.81551005796419),
        (-0.5, 1.2655121234846454, 0.03648997397857651),
        (-2.3, 0.36956666345500805, 3.3173231575618236),
    ];

    fn close(actual: f64, expected: f64, rel: f64, abs: f64) -> bool {
        (actual - expected).abs() <= abs + rel * expected.abs()
    }

    /// The branch-free f64 logarithm against libm's `ln` over the normal range: powers of
    /// two and their neighbours (the √2 split and e·ln 2), values near 1 (where ln x → 0 and
    /// only a relative error shows), and a dense sweep of mantissas; relative error < 1e-14,
    /// and ln 1 = 0 exactly.
    #[test]
    fn ln_normal_f64_matches_libm() {
        let mut xs = vec![f64::MIN_POSITIVE, f64::MAX, 1.0, 2.0, 0.5, SQRT_2_F64];
        for k in -1022..=1023 {
            let (p, root) = (2f64.powi(k), 2f64.powi(k) * SQRT_2_F64);
            xs.extend([
                p,
                p * 1.000_000_1,
                p * 0.999_999_9,
                root * 0.999_999,
                root * 1.000_001,
            ]);
        }
        for k in 1..2000 {
            xs.extend([
                1.0 + k as f64 * 1e-12,
                1.0 - k as f64 * 1e-12,
                1.0 + k as f64 * 1e-4,
            ]);
        }
        for k in 0..100_000 {
            xs.push((1.0 + k as f64 / 100_000.0) * 3.7e5);
        }
        assert_eq!(ln_normal_f64(1.0), 0.0);
        for &x in xs.iter().filter(|x| x.is_normal()) {
            let (actual, expected) = (ln_normal_f64(x), x.ln());
            assert!(
                close(actual, expected, 1e-14, 0.0),
                "ln({x:e}) = {actual:e}, libm {expected:e}"
            );
        }
    }

    #[test]
    fn scalar_functions_match_scipy() {
        for &(x, ln_gamma, psi) in &SCIPY {
            assert!(
                close(ln_gamma_f64(x), ln_gamma, 1e-12, 1e-13),
                "lgamma({x}) = {} vs scipy {ln_gamma}",
                ln_gamma_f64(x)
            );
            assert!(
                close(digamma_f64(x), psi, 1e-12, 1e-13),
                "digamma({x}) = {} vs scipy {psi}",
                digamma_f64(x)
            );
        }
    }

    /// The CPU custom op on f32 tensors: relative 1e-5 (the brief's bar; f32 rounding is
    /// ~6e-8), plus 1e-6 absolute for values near lgamma's zeros at 1 and 2.
    #[test]
    fn cpu_op_matches_scipy_in_f32() -> candle_core::Result<()> {
        let xs: Vec<f32> = SCIPY.iter().map(|row| row.0 as f32).collect();
        let t = Tensor::new(xs.as_slice(), &Device::Cpu)?;
        let ln_gamma = lgamma(&t)?.to_vec1::<f32>()?;
        let psi = digamma(&t)?.to_vec1::<f32>()?;
        for (i, &(x, expected_ln_gamma, expected_psi)) in SCIPY.iter().enumerate() {
            // the f32 input is not exactly x: compare with the f64 function at the f32 input,
            // itself checked against scipy above
            let x32 = f64::from(x as f32);
            assert!(close(f64::from(ln_gamma[i]), ln_gamma_f64(x32), 1e-5, 1e-6));
            assert!(close(f64::from(psi[i]), digamma_f64(x32), 1e-5, 1e-6));
            if x == x32 {
                assert!(close(f64::from(ln_gamma[i]), expected_ln_gamma, 1e-5, 1e-6));
                assert!(close(f64::from(psi[i]), expected_psi, 1e-5, 1e-6));
            }
        }
        Ok(())
    }

    /// The tensor-op path used on CUDA/Metal, checked on the CPU in f32 for x > 0:
    /// 1e-5 relative plus 2e-5 absolute (cancellation in the shift near lgamma's zeros).
    #[test]
    fn tensor_op_path_matches_scipy_in_f32() -> candle_core::Result<()> {
        let positive: Vec<(f64, f64, f64)> = SCIPY.iter().copied().filter(|r| r.0 > 0.0).collect();
        let xs: Vec<f64> = positive.iter().map(|row| row.0).collect();
        let t = Tensor::new(xs.as_slice(), &Device::Cpu)?.to_dtype(DType::F32)?;
        let ln_gamma = lgamma_from_tensor_ops(&t)?.to_vec1::<f32>()?;
        let psi = digamma_from_tensor_ops(&t)?.to_vec1::<f32>()?;
        for (i, &(x, _, _)) in positive.iter().enumerate() {
            let x32 = f64::from(x as f32);
            assert!(
                close(f64::from(ln_gamma[i]), ln_gamma_f64(x32), 1e-5, 2e-5),
                "tensor-op lgamma({x}) = {}",
                ln_gamma[i]
            );
            assert!(
                close(f64::from(psi[i]), digamma_f64(x32), 1e-5, 2e-5),
                "tensor-op digamma({x}) = {}",
                psi[i]
            );
        }
        Ok(())
    }

    #[test]
    fn lgamma_gradient_is_digamma() -> candle_core::Result<()> {
        let points = [0.3f64, 1.5, 7.0, 250.0];
        let x = Var::new(&points[..], &Device::Cpu)?;
        let grads = lgamma(x.as_tensor())?.sum_all()?.backward()?;
        let grad = grads
            .get(x.as_tensor())
            .expect("gradient")
            .to_vec1::<f64>()?;
        // scipy.special.digamma at the same points: see SCIPY for 0.3 and 1.5
        assert!(close(grad[0], -3.502524222200133, 1e-12, 1e-12));
        assert!(close(grad[1], 0.03648997397857652, 1e-12, 1e-12));
        for (g, &p) in grad.iter().zip(&points) {
            assert!(close(*g, digamma_f64(p), 1e-12, 1e-12));
        }
        // and a central finite difference of lgamma itself
        for &p in &points {
            let h = 1e-5 * p.max(1.0);
            let numeric = (ln_gamma_f64(p + h) - ln_gamma_f64(p - h)) / (2.0 * h);
            assert!(close(digamma_f64(p), numeric, 1e-6, 1e-6));
        }
        Ok(())
    }

    /// The branch-free f32 log1p against f64 `ln_1p` (itself IEEE-accurate) over 0 and a
    /// geometric sweep of t from 1e-30 to 1e30: relative error below 3e-7.
    #[test]
    fn branch_free_log1p_is_accurate() {
        assert_eq!(log1p_nonnegative_f32(0.0), 0.0);
        let mut t = 1e-30f64;
        while t < 1e30 {
            let t32 = t as f32;
            let expected = f64::from(t32).ln_1p();
            let got = f64::from(log1p_nonnegative_f32(t32));
            assert!(
                (got - expected).abs() <= 3e-7 * expected,
                "log1p({t32}) = {got} vs {expected}"
            );
            t *= 1.37;
        }
    }

    /// The branch-free f32 exp against f64 `exp` over [−87.3, 0] (relative error below
    /// 2e-7), 0 below, and NaN kept.
    #[test]
    fn branch_free_exp_is_accurate() {
        assert_eq!(exp_nonpositive_f32(0.0), 1.0);
        let mut x = 0.0f32;
        while x >= -87.3 {
            let expected = f64::from(x).exp();
            let got = f64::from(exp_nonpositive_f32(x));
            assert!(
                (got - expected).abs() <= 2e-7 * expected,
                "exp({x}) = {got} vs {expected}"
            );
            x -= 0.0137;
        }
        assert_eq!(exp_nonpositive_f32(-88.0), 0.0);
        assert_eq!(exp_nonpositive_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_nonpositive_f32(f32::NAN).is_nan());
    }

    /// log1p, softplus and log-sigmoid against numpy.log1p / numpy.logaddexp(0, x)
    /// (numpy 2.4.6, float64, pasted), including arguments where the naive forms fail in f32.
    #[test]
    fn log1p_softplus_log_sigmoid_match_numpy() -> candle_core::Result<()> {
        let xs = [1e-10f64, 0.5, 3.0];
        let log1p_numpy = [
            9.999999999500001e-11,
            0.4054651081081644,
            1.3862943611198906,
        ];
        let got = log1p(&Tensor::new(&xs[..], &Device::Cpu)?)?.to_vec1::<f64>()?;
        for (g, e) in got.iter().zip(log1p_numpy) {
            assert!(close(*g, e, 1e-12, 0.0));
        }
        let xs = [-100.0f32, -3.0, 0.0, 2.5, 100.0];
        let softplus_numpy = [
            3.720075976020836e-44,
            0.04858735157374206,
            std::f64::consts::LN_2,
            2.5788897342925496,
            100.0,
        ];
        let t = Tensor::new(&xs[..], &Device::Cpu)?;
        let sp = softplus(&t)?.to_vec1::<f32>()?;
        let ls = log_sigmoid(&t)?.to_vec1::<f32>()?;
        for i in 0..xs.len() {
            assert!(close(f64::from(sp[i]), softplus_numpy[i], 1e-6, 1e-7));
            // ln σ(x) = x − softplus(x)
            let expected = f64::from(xs[i]) - softplus_numpy[i];
            assert!(close(f64::from(ls[i]), expected, 1e-6, 1e-6));
        }
        Ok(())
    }
}
