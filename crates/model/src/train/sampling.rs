//! Minibatch rows drawn by weight ([`crate::RowSampling::Weighted`]): as EVE and DeepSequence
//! draw an alignment's sequences, with replacement and in proportion to their weights.

use rand::Rng;

/// `n` draws from `rows`, with replacement, row `r` with probability `weights[r]` / the sum
/// of the rows' weights (summed in f64); a row of weight 0 is never drawn. `rows` must hold
/// a positive weight.
pub(crate) fn draw_by_weight(
    rows: &[usize],
    weights: &[f32],
    n: usize,
    rng: &mut impl Rng,
) -> Vec<usize> {
    let mut cumulative = Vec::with_capacity(rows.len());
    let mut total = 0.0f64;
    for &row in rows {
        total += f64::from(weights[row]);
        cumulative.push(total);
    }
    (0..n)
        .map(|_| {
            let u = rng.random::<f64>() * total;
            // the first row whose cumulative weight passes u: never one of weight 0
            let index = cumulative.partition_point(|&c| c <= u);
            rows[index.min(rows.len() - 1)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::draw_by_weight;

    /// Counts over 100,000 draws follow the weights (binomial standard error ≤ 0.0016 of
    /// the draws, so 0.01 is over six of them), rows outside `rows` and of weight 0 never
    /// come, and a seed gives the same draws.
    #[test]
    fn draws_follow_the_weights() {
        let weights = [5.0, 0.0, 1.0, 2.0, 9.0];
        let rows = [0, 1, 2, 3];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 100_000;
        let drawn = draw_by_weight(&rows, &weights, n, &mut rng);
        let mut counts = [0usize; 5];
        for &row in &drawn {
            counts[row] += 1;
        }
        assert_eq!(counts[1], 0, "weight 0");
        assert_eq!(counts[4], 0, "not a training row");
        for (row, expected) in [(0, 5.0 / 8.0), (2, 1.0 / 8.0), (3, 2.0 / 8.0)] {
            let share = counts[row] as f64 / n as f64;
            assert!(
                (share - expected).abs() < 0.01,
                "row {row}: {share} vs {expected}"
            );
        }
        let again = draw_by_weight(&rows, &weights, n, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(drawn, again);
    }

    /// A single row of positive weight is all that is drawn, whatever its place.
    #[test]
    fn one_weighted_row_is_always_drawn() {
        let weights = [0.0, 0.0, 3.0];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            draw_by_weight(&[0, 1, 2], &weights, 50, &mut rng),
            vec![2; 50]
        );
        assert_eq!(
            draw_by_weight(&[2, 0, 1], &weights, 50, &mut rng),
            vec![2; 50]
        );
    }
}
