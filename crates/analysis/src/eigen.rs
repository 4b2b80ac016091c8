//! Eigenvalues and eigenvectors of a small symmetric matrix (a covariance of a few hundred
//! columns at most), by the cyclic Jacobi method, in f64.

/// Sweeps over every off-diagonal pair at most; each sweep roughly squares the off-diagonal
/// norm once it is small, so a few are enough.
const MAX_SWEEPS: usize = 64;

/// Eigen-decomposition of the symmetric `d × d` row-major matrix `a` (only its values are
/// read; the upper and lower triangles must agree). Returns the eigenvalues and the
/// eigenvectors as the columns of a `d × d` row-major matrix, in the order Jacobi leaves them
/// (not sorted).
pub fn symmetric_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(
        a.len(),
        d * d,
        "symmetric_eigen: {} values for {d} × {d}",
        a.len()
    );
    let mut a = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    let total: f64 = a.iter().map(|x| x * x).sum();
    for _ in 0..MAX_SWEEPS {
        let off: f64 = (0..d)
            .flat_map(|p| (0..d).filter(move |&q| q != p).map(move |q| (p, q)))
            .map(|(p, q)| a[p * d + q] * a[p * d + q])
            .sum();
        if off <= 1e-30 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                rotate(&mut a, &mut v, d, p, q);
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

/// One Jacobi rotation A ← JᵀAJ, V ← VJ that zeroes A[p][q].
fn rotate(a: &mut [f64], v: &mut [f64], d: usize, p: usize, q: usize) {
    let apq = a[p * d + q];
    if apq == 0.0 {
        return;
    }
    let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for m in [&mut *a, &mut *v] {
        for k in 0..d {
            let (kp, kq) = (m[k * d + p], m[k * d + q]);
            m[k * d + p] = c * kp - s * kq;
            m[k * d + q] = s * kp + c * kq;
        }
    }
    for k in 0..d {
        let (pk, qk) = (a[p * d + k], a[q * d + k]);
        a[p * d + k] = c * pk - s * qk;
        a[q * d + k] = s * pk + c * qk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_by_two_by_hand() {
        // [[2, 1], [1, 2]]: eigenvalues 1 and 3, eigenvectors (1, −1)/√2 and (1, 1)/√2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12);
        let big = if values[0] > values[1] { 0 } else { 1 };
        let (x, y) = (vectors[big], vectors[2 + big]);
        assert!((x.abs() - 0.5f64.sqrt()).abs() < 1e-12 && (x - y).abs() < 1e-12);
    }

    #[test]
    fn every_pair_satisfies_a_v_equals_lambda_v_and_vectors_are_orthonormal() {
        let d = 12;
        // A symmetric matrix with a repeated pair of values nowhere special: BᵀB + diag.
        let b: Vec<f64> = (0..d * d)
            .map(|i| ((i * 37 % 23) as f64 - 11.0) / 7.0)
            .collect();
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                a[i * d + j] = (0..d).map(|k| b[k * d + i] * b[k * d + j]).sum::<f64>();
            }
            a[i * d + i] += i as f64;
        }
        let (values, vectors) = symmetric_eigen(&a, d);
        for c in 0..d {
            for i in 0..d {
                let av: f64 = (0..d).map(|j| a[i * d + j] * vectors[j * d + c]).sum();
                assert!(
                    (av - values[c] * vectors[i * d + c]).abs() < 1e-9,
                    "pair {c}, row {i}"
                );
            }
            for other in 0..d {
                let dot: f64 = (0..d)
                    .map(|j| vectors[j * d + c] * vectors[j * d + other])
                    .sum();
                let want = if other == c { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-12);
            }
        }
        // The trace is kept.
        let trace: f64 = (0..d).map(|i| a[i * d + i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-9 * trace);
    }
}
