//! Binning latent points on cosine distance: VAMB's iterative medoid clustering.
//!
//! A port of `vamb/cluster.py` (VAMB 5.0.4), written from its description and code: points are
//! scaled to norm 1/√2 so that the distance `0.5 − a·b` is half the cosine distance (0 for the
//! same direction, 0.5 for orthogonal, 1 for opposite). Seeds are tried from the longest contig
//! down; from each seed the medoid wanders to the neighbour (within [`MEDOID_RADIUS`]) of the
//! highest length-weighted local density; a length-weighted, Gaussian-smoothed histogram of the
//! distances to that medoid must show a first peak followed by a valley deep enough (below
//! `peak_valley_ratio` × peak), and the points before the valley become one cluster and leave.
//! When too few of the recent attempts find a valley the criterion is relaxed by 0.1, and past
//! 0.55 a cluster of radius [`DEFAULT_RADIUS`] is emitted so that the search always ends.
//!
//! Differences from VAMB, none of which changes which clusters are found on the same medoids:
//! no GPU path and no matrix packing (emitted points are masked out instead), the distance
//! cache is dropped whole when it reaches 64 entries (VAMB evicts the oldest), the random
//! candidate draws use ChaCha8 (so a seed does not reproduce VAMB's Python `random` draws),
//! and equal lengths are ordered by index.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result, invalid};
use crate::matrix::{DenseView, RowSource};

/// Distance within which a point is a loner's company and the medoid search looks.
pub const MEDOID_RADIUS: f64 = 0.05;
/// Radius of the clusters emitted when no valley is found even with a relaxed criterion.
pub const DEFAULT_RADIUS: f64 = 0.06;
/// Histogram bin width of the distances.
const DELTA_X: f64 = 0.005;
/// Largest distance in the histogram.
const X_MAX: f64 = 0.3;
/// Bins of the histogram: 0.3 / 0.005.
const N_BINS: usize = 60;
/// Half-width, in bins, of the smoothing kernel (a normal density with σ = 0.01 over ±0.075).
const KERNEL_HALF_WIDTH: usize = 15;
/// Distance vectors kept between medoid searches of one cluster.
const MAX_CACHED: usize = 64;

/// Settings of the iterative medoid search (VAMB's defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct MedoidParams {
    /// Futile medoid moves tried before the current medoid is kept (VAMB `maxsteps`, 25).
    pub max_steps: usize,
    /// Number of recent attempts over which successes are counted (VAMB `windowsize`, 300).
    pub window_size: usize,
    /// Successes needed in a full window before the criterion is relaxed (VAMB
    /// `minsuccesses`, 15).
    pub min_successes: usize,
    /// Seed for the random choice of candidate medoids.
    pub seed: u64,
}

impl Default for MedoidParams {
    fn default() -> Self {
        Self {
            max_steps: 25,
            window_size: 300,
            min_successes: 15,
            seed: 0,
        }
    }
}

impl MedoidParams {
    /// Checks the settings before any work.
    pub fn validate(&self) -> Result<()> {
        if self.max_steps == 0 {
            return Err(invalid("max_steps", "must be at least 1 — VAMB uses 25"));
        }
        if self.window_size == 0 {
            return Err(invalid("window_size", "must be at least 1 — VAMB uses 300"));
        }
        if self.min_successes == 0 || self.min_successes > self.window_size {
            return Err(invalid(
                "min_successes",
                format!(
                    "{} is not between 1 and window_size ({}) — VAMB uses 15 of 300",
                    self.min_successes, self.window_size
                ),
            ));
        }
        Ok(())
    }
}

/// How a cluster's radius was decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClusterKind {
    /// A valley was found in the distance histogram at this distance.
    Valley(f64),
    /// The medoid had no other point within [`MEDOID_RADIUS`].
    Loner,
    /// No valley even with the most relaxed criterion: radius [`DEFAULT_RADIUS`].
    Fallback,
}

/// One cluster: its medoid and members (point indices, ascending, medoid included).
#[derive(Debug, Clone, PartialEq)]
pub struct MedoidCluster {
    /// Index of the medoid point.
    pub medoid: usize,
    /// Indices of the member points, ascending.
    pub members: Vec<usize>,
    /// How the radius was decided.
    pub kind: ClusterKind,
}

/// Clusters `points` on cosine distance; `lengths` (e.g. contig lengths in bp, all 1 when
/// unknown) order the seeds and weigh the densities. Every point ends in exactly one cluster;
/// clusters come in the order they were found.
pub fn iterative_medoids(
    points: DenseView<'_>,
    lengths: &[f64],
    params: &MedoidParams,
) -> Result<Vec<MedoidCluster>> {
    params.validate()?;
    if lengths.len() != points.n_rows() {
        return Err(Error::Data(format!(
            "{} lengths for {} latent points — give one length per point",
            lengths.len(),
            points.n_rows()
        )));
    }
    if let Some(bad) = lengths.iter().position(|l| !(l.is_finite() && *l > 0.0)) {
        return Err(Error::Data(format!(
            "point {}: length {} is not a positive number — give contig lengths in bp",
            bad + 1,
            lengths[bad]
        )));
    }
    let mut search = Search::new(points, lengths, params);
    let mut clusters = Vec::new();
    while search.remaining > 0 {
        clusters.push(search.find_cluster());
    }
    Ok(clusters)
}

/// Cluster number (0-based, in `clusters` order) of each of `n_points` points.
pub fn assignments(clusters: &[MedoidCluster], n_points: usize) -> Vec<usize> {
    let mut cluster_of = vec![0; n_points];
    for (number, cluster) in clusters.iter().enumerate() {
        for &member in &cluster.members {
            cluster_of[member] = number;
        }
    }
    cluster_of
}

/// Distances from one medoid to every point (∞ for points already clustered), the points
/// within [`MEDOID_RADIUS`] and their length-weighted closeness.
struct Neighbourhood {
    distances: Vec<f64>,
    within: Vec<usize>,
    density: f64,
}

enum Threshold {
    Loner,
    None,
    Valley(f64),
}

struct Search<'a> {
    /// Rows scaled to norm 1/√2, row-major.
    unit: Vec<f64>,
    n_dims: usize,
    lengths: &'a [f64],
    alive: Vec<bool>,
    remaining: usize,
    /// Point indices by decreasing length.
    order: Vec<usize>,
    order_index: usize,
    peak_valley_ratio: f64,
    attempts: VecDeque<bool>,
    successes: usize,
    cache: HashMap<usize, Rc<Neighbourhood>>,
    kernel: [f64; 2 * KERNEL_HALF_WIDTH + 1],
    rng: ChaCha8Rng,
    params: &'a MedoidParams,
}

impl<'a> Search<'a> {
    fn new(points: DenseView<'_>, lengths: &'a [f64], params: &'a MedoidParams) -> Self {
        let n_dims = points.n_cols();
        let mut unit = Vec::with_capacity(points.n_rows() * n_dims);
        for i in 0..points.n_rows() {
            let row: Vec<f64> = points.row(i).iter().map(|&v| f64::from(v)).collect();
            // VAMB: an all-zero row becomes 1/d in every dimension, else it would sit at
            // distance 0.5 from everything, itself included.
            let row = if row.iter().all(|&v| v == 0.0) {
                vec![1.0 / n_dims as f64; n_dims]
            } else {
                row
            };
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt() * std::f64::consts::SQRT_2;
            unit.extend(row.iter().map(|v| v / norm));
        }
        let mut order: Vec<usize> = (0..points.n_rows()).collect();
        order.sort_by(|&a, &b| lengths[b].total_cmp(&lengths[a]).then(a.cmp(&b)));
        // The density of one point at distance 0.005·k from the histogram bin: N(0, 0.01²)
        // times the bin width, so that one point's smoothed mass sums to about one.
        let mut kernel = [0.0; 2 * KERNEL_HALF_WIDTH + 1];
        let sigma = 0.01f64;
        for (k, weight) in kernel.iter_mut().enumerate() {
            let t = (k as f64 - KERNEL_HALF_WIDTH as f64) * DELTA_X;
            *weight = DELTA_X * (-t * t / (2.0 * sigma * sigma)).exp()
                / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        }
        Self {
            unit,
            n_dims,
            lengths,
            alive: vec![true; points.n_rows()],
            remaining: points.n_rows(),
            order,
            order_index: 0,
            peak_valley_ratio: 0.1,
            attempts: VecDeque::with_capacity(params.window_size),
            successes: 0,
            cache: HashMap::new(),
            kernel,
            rng: ChaCha8Rng::seed_from_u64(params.seed),
            params,
        }
    }

    fn row(&self, i: usize) -> &[f64] {
        &self.unit[i * self.n_dims..(i + 1) * self.n_dims]
    }

    /// VAMB's `find_cluster`: try seeds until one gives a cluster, emit it.
    fn find_cluster(&mut self) -> MedoidCluster {
        loop {
            let seed = self.next_seed();
            let (medoid, around) = self.wander_medoid(seed);
            let (members, kind) = match self.find_threshold(&around.distances) {
                Threshold::Loner => (vec![medoid], ClusterKind::Loner),
                Threshold::None if self.peak_valley_ratio > 0.55 => (
                    within(&around.distances, DEFAULT_RADIUS),
                    ClusterKind::Fallback,
                ),
                Threshold::None => {
                    self.update_successes(false);
                    continue;
                }
                Threshold::Valley(radius) => {
                    if self.peak_valley_ratio < 0.55 {
                        self.update_successes(true);
                    }
                    (
                        within(&around.distances, radius),
                        ClusterKind::Valley(radius),
                    )
                }
            };
            for &member in &members {
                self.alive[member] = false;
            }
            self.remaining -= members.len();
            self.cache.clear();
            return MedoidCluster {
                medoid,
                members,
                kind,
            };
        }
    }

    /// The next unclustered point in length order, going round when the end is reached.
    fn next_seed(&mut self) -> usize {
        let n = self.order.len();
        for step in 0..n {
            let i = (self.order_index + step) % n;
            let point = self.order[i];
            if self.alive[point] {
                self.order_index = i + 1;
                return point;
            }
        }
        unreachable!("next_seed is only called while points remain")
    }

    fn update_successes(&mut self, success: bool) {
        if self.attempts.len() == self.params.window_size && self.attempts.pop_front() == Some(true)
        {
            self.successes -= 1;
        }
        self.successes += usize::from(success);
        self.attempts.push_back(success);
        if self.attempts.len() == self.params.window_size
            && self.successes < self.params.min_successes
        {
            self.peak_valley_ratio += 0.1;
            self.attempts.clear();
            self.successes = 0;
            // Start over from the best seeds, which the stricter criterion may have skipped.
            self.order_index = 0;
        }
    }

    /// Moves the medoid to a random close neighbour while that raises the local density;
    /// gives up after `max_steps` futile candidates.
    fn wander_medoid(&mut self, seed: usize) -> (usize, Rc<Neighbourhood>) {
        let mut medoid = seed;
        let mut tried: HashSet<usize> = HashSet::from([seed]);
        let mut best = self.neighbourhood(seed);
        let mut candidates = self.draw_candidates(&best.within, &tried);
        let mut i = 0;
        while i < candidates.len() {
            let candidate = candidates[i];
            tried.insert(candidate);
            let around = self.neighbourhood(candidate);
            if around.density > best.density {
                medoid = candidate;
                candidates = self.draw_candidates(&around.within, &tried);
                best = around;
                i = 0;
            } else {
                i += 1;
            }
        }
        (medoid, best)
    }

    /// Up to `max_steps` untried points of `within`, in random order.
    fn draw_candidates(&mut self, within: &[usize], tried: &HashSet<usize>) -> Vec<usize> {
        let untried: Vec<usize> = within
            .iter()
            .copied()
            .filter(|p| !tried.contains(p))
            .collect();
        let k = untried.len().min(self.params.max_steps);
        sample(&mut self.rng, untried.len(), k)
            .into_iter()
            .map(|j| untried[j])
            .collect()
    }

    fn neighbourhood(&mut self, medoid: usize) -> Rc<Neighbourhood> {
        if let Some(found) = self.cache.get(&medoid) {
            return Rc::clone(found);
        }
        let centre = self.row(medoid);
        let distances: Vec<f64> = (0..self.alive.len())
            .map(|j| {
                if j == medoid {
                    0.0 // exactly, whatever the rounding
                } else if self.alive[j] {
                    let dot: f64 = centre.iter().zip(self.row(j)).map(|(a, b)| a * b).sum();
                    0.5 - dot
                } else {
                    f64::INFINITY
                }
            })
            .collect();
        let within: Vec<usize> = (0..distances.len())
            .filter(|&j| distances[j] <= MEDOID_RADIUS)
            .collect();
        let density = within
            .iter()
            .map(|&j| self.lengths[j] * (MEDOID_RADIUS - distances[j]))
            .sum();
        let found = Rc::new(Neighbourhood {
            distances,
            within,
            density,
        });
        if self.cache.len() == MAX_CACHED {
            self.cache.clear();
        }
        self.cache.insert(medoid, Rc::clone(&found));
        found
    }

    /// VAMB's `find_threshold`: the first valley of the smoothed, length-weighted histogram
    /// of distances to the medoid.
    fn find_threshold(&self, distances: &[f64]) -> Threshold {
        if distances.iter().filter(|&&d| d < MEDOID_RADIUS).count() == 1 {
            return Threshold::Loner;
        }
        let mut histogram = [0.0f64; N_BINS];
        for (j, &d) in distances.iter().enumerate() {
            if d <= X_MAX {
                // torch.histogram: bins [0, 0.005), ..., the last one closed [0.295, 0.3].
                let bin = ((d.max(0.0) / DELTA_X) as usize).min(N_BINS - 1);
                histogram[bin] += self.lengths[j];
            }
        }
        let mut densities = [0.0f64; N_BINS];
        for (bin, &mass) in histogram.iter().enumerate() {
            if mass == 0.0 {
                continue;
            }
            let low = bin.saturating_sub(KERNEL_HALF_WIDTH);
            let high = (bin + KERNEL_HALF_WIDTH).min(N_BINS - 1);
            for (x, density) in densities.iter_mut().enumerate().take(high + 1).skip(low) {
                *density += mass * self.kernel[x + KERNEL_HALF_WIDTH - bin];
            }
        }

        let mut peak_density = 0.0;
        let mut peak_over = false;
        let mut density_at_minimum = 0.0;
        let mut threshold = None;
        // Accumulated as VAMB does, so the x > 0.1 test falls on the same bin.
        let delta_x = X_MAX / N_BINS as f64;
        let mut x = 0.0f64;
        for &density in &densities {
            if !peak_over && density > peak_density {
                // The first peak must come before 0.1.
                if x > 0.1 {
                    return Threshold::None;
                }
                peak_density = density;
            }
            if !peak_over && density < 0.6 * peak_density {
                peak_over = true;
                density_at_minimum = density;
            }
            if peak_over && density > 1.5 * density_at_minimum {
                break; // a second peak
            }
            if peak_over && density < density_at_minimum {
                density_at_minimum = density;
                if density < self.peak_valley_ratio * peak_density {
                    threshold = Some(x);
                }
            }
            x += delta_x;
        }
        match threshold {
            Some(radius) if radius <= 0.2 + self.peak_valley_ratio => Threshold::Valley(radius),
            _ => Threshold::None,
        }
    }
}

/// Indices whose distance is at most `radius` (clustered points are at ∞).
fn within(distances: &[f64], radius: f64) -> Vec<usize> {
    (0..distances.len())
        .filter(|&j| distances[j] <= radius)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` points at small angles (≤ 0.02 rad) around the axis `axis` of 3-D space.
    fn around_axis(axis: usize, n: usize) -> Vec<f32> {
        let mut values = Vec::new();
        for i in 0..n {
            let angle = 0.02 * i as f32 / n as f32;
            let mut row = [0f32; 3];
            row[axis] = angle.cos();
            row[(axis + 1) % 3] = angle.sin();
            values.extend_from_slice(&row);
        }
        values
    }

    #[test]
    fn distances_are_half_the_cosine_distance() {
        // By hand: same direction 0, orthogonal 0.5, opposite 1; scale does not matter.
        let values = [1f32, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 2.0, 0.0, -1.0, 0.0, 0.0];
        let points = DenseView::new(&values, 3).unwrap();
        let params = MedoidParams::default();
        let lengths = [1.0; 4];
        let mut search = Search::new(points, &lengths, &params);
        let around = search.neighbourhood(0);
        let expected = [0.0, 0.0, 0.5, 1.0];
        for (got, want) in around.distances.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{:?}", around.distances);
        }
        assert_eq!(around.within, vec![0, 1]);
        // density = Σ length · (0.05 − d) over the two points at distance 0.
        assert!((around.density - 0.1).abs() < 1e-12);
    }

    #[test]
    fn two_separated_groups_become_two_clusters() {
        // Group A around x (points 0..20), group B around y (20..40): within-group cosine
        // distances are below 0.0002, between groups about 0.5 (beyond the histogram), so
        // the histogram of each medoid has one peak at 0 and a valley right after it.
        let mut values = around_axis(0, 20);
        values.extend(around_axis(1, 20));
        let points = DenseView::new(&values, 3).unwrap();
        // The longest point (25) is in group B, so B is found first.
        let mut lengths = vec![1000.0; 40];
        lengths[25] = 5000.0;
        let clusters = iterative_medoids(points, &lengths, &MedoidParams::default()).unwrap();
        assert_eq!(clusters.len(), 2, "{clusters:?}");
        assert_eq!(clusters[0].members, (20..40).collect::<Vec<_>>());
        assert_eq!(clusters[1].members, (0..20).collect::<Vec<_>>());
        assert!(matches!(clusters[0].kind, ClusterKind::Valley(_)));
        let of = assignments(&clusters, 40);
        assert_eq!(of[0], 1);
        assert_eq!(of[39], 0);
    }

    #[test]
    fn valley_threshold_by_hand() {
        // One group of 20 at distance ~0 from the medoid, nothing else within 0.3: histogram
        // mass only in bin 0, so densities[x] ∝ N(0.005·x; 0, 0.01²). Relative to the peak at
        // x = 0: 0.882 (x=1), 0.607, 0.325 (x=3: peak over, minimum 0.325), 0.135, 0.044
        // (below 0.1: threshold), ... falling to ~6e-13 at x = 15 and exactly 0 at x = 16,
        // the last new minimum: threshold = 16 · 0.005 = 0.08.
        let values = around_axis(0, 20);
        let points = DenseView::new(&values, 3).unwrap();
        let lengths = vec![1.0; 20];
        let params = MedoidParams::default();
        let mut search = Search::new(points, &lengths, &params);
        let around = search.neighbourhood(0);
        match search.find_threshold(&around.distances) {
            Threshold::Valley(radius) => assert!((radius - 0.08).abs() < 1e-9, "{radius}"),
            _ => panic!("expected a valley"),
        }
    }

    #[test]
    fn a_lone_point_is_its_own_cluster() {
        let mut values = around_axis(0, 10);
        values.extend_from_slice(&[0.0, 0.0, 1.0]);
        let points = DenseView::new(&values, 3).unwrap();
        let mut lengths = vec![1.0; 11];
        lengths[10] = 10.0; // tried first
        let clusters = iterative_medoids(points, &lengths, &MedoidParams::default()).unwrap();
        assert_eq!(clusters[0].members, vec![10]);
        assert_eq!(clusters[0].kind, ClusterKind::Loner);
        assert_eq!(clusters[1].members, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn every_point_lands_once_and_the_seed_repeats() {
        // Points spread evenly on a circle: no valleys, so the criterion must relax until
        // the fallback radius ends the search.
        let values: Vec<f32> = (0..200)
            .flat_map(|i| {
                let t = i as f32 * std::f32::consts::TAU / 200.0;
                [t.cos(), t.sin()]
            })
            .collect();
        let points = DenseView::new(&values, 2).unwrap();
        let lengths = vec![1.0; 200];
        let params = MedoidParams {
            window_size: 20,
            min_successes: 5,
            seed: 3,
            ..MedoidParams::default()
        };
        let first = iterative_medoids(points, &lengths, &params).unwrap();
        let mut seen: Vec<usize> = first.iter().flat_map(|c| c.members.clone()).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..200).collect::<Vec<_>>());
        assert_eq!(first, iterative_medoids(points, &lengths, &params).unwrap());
    }

    #[test]
    fn bad_settings_and_lengths_are_refused() {
        let values = [1f32, 0.0];
        let points = DenseView::new(&values, 2).unwrap();
        let zero_steps = MedoidParams {
            max_steps: 0,
            ..MedoidParams::default()
        };
        assert!(matches!(
            iterative_medoids(points, &[1.0], &zero_steps),
            Err(Error::InvalidConfig {
                field: "max_steps",
                ..
            })
        ));
        let too_many = MedoidParams {
            min_successes: 301,
            ..MedoidParams::default()
        };
        assert!(too_many.validate().is_err());
        let params = MedoidParams::default();
        assert!(matches!(
            iterative_medoids(points, &[1.0, 2.0], &params),
            Err(Error::Data(_))
        ));
        assert!(matches!(
            iterative_medoids(points, &[0.0], &params),
            Err(Error::Data(_))
        ));
    }
}
