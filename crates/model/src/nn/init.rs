//! Reproducible weight initialisation.
//!
//! Candle's CPU device cannot be seeded, so `VarMap`'s own initialisation differs run to run.
//! [`SeededVarMap`] is a `VarBuilder` backend that stores every variable in a `VarMap` (so the
//! optimiser and the checkpoint see them under their `vb.pp(..)` paths) but draws initial
//! values from a ChaCha RNG on the host. Layers are built in a fixed order, so a seed fixes
//! every weight.

use std::sync::Mutex;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::{Init, NormalOrUniform};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A `VarMap` whose missing variables are initialised from a seeded RNG.
pub(crate) struct SeededVarMap {
    varmap: VarMap,
    rng: Mutex<ChaCha8Rng>,
}

impl SeededVarMap {
    /// A `VarBuilder` over a new, empty `varmap`, initialising from `seed`.
    pub(crate) fn builder(varmap: &VarMap, seed: u64, device: &Device) -> VarBuilder<'static> {
        let backend = Self {
            varmap: varmap.clone(),
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        };
        VarBuilder::from_backend(Box::new(backend), DType::F32, device.clone())
    }

    fn initial_values(&self, shape: &Shape, init: Init) -> Vec<f32> {
        let n = shape.elem_count();
        // A poisoned lock only means another thread panicked mid-draw; the RNG state is valid.
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        let uniform = |rng: &mut ChaCha8Rng, lo: f64, up: f64| -> Vec<f32> {
            (0..n).map(|_| rng.random_range(lo..up) as f32).collect()
        };
        let normal = |rng: &mut ChaCha8Rng, mean: f64, std: f64| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(rng);
                    (mean + std * z) as f32
                })
                .collect()
        };
        match init {
            Init::Const(value) => vec![value as f32; n],
            Init::Uniform { lo, up } => uniform(&mut rng, lo, up),
            Init::Randn { mean, stdev } => normal(&mut rng, mean, stdev),
            Init::Kaiming {
                dist,
                fan,
                non_linearity,
            } => {
                let std = non_linearity.gain() / (fan.for_shape(shape) as f64).sqrt();
                match dist {
                    NormalOrUniform::Uniform => {
                        let bound = 3f64.sqrt() * std;
                        uniform(&mut rng, -bound, bound)
                    }
                    NormalOrUniform::Normal => normal(&mut rng, 0.0, std),
                }
            }
        }
    }
}

impl SimpleBackend for SeededVarMap {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut vars = self.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(var) = vars.get(name) {
            if var.shape() != &shape {
                candle_core::bail!(
                    "variable {name} exists with shape {:?}, asked for {shape:?}",
                    var.shape()
                );
            }
            return Ok(var.as_tensor().clone());
        }
        let values = self.initial_values(&shape, init);
        let tensor = Tensor::from_vec(values, shape, device)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&tensor)?;
        let tensor = var.as_tensor().clone();
        vars.insert(name.to_string(), var);
        Ok(tensor)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _device: &Device,
    ) -> candle_core::Result<Tensor> {
        let vars = self.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
        match vars.get(name) {
            Some(var) => Ok(var.as_tensor().clone()),
            None => candle_core::bail!("variable {name} has no shape hint and does not exist"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        let vars = self.varmap.data().lock().unwrap_or_else(|e| e.into_inner());
        vars.contains_key(name)
    }
}
