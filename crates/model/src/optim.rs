//! AdamW with decoupled weight decay (Loshchilov & Hutter), as `candle_nn::AdamW` computes it.
//!
//! On the CPU the update of each variable runs as one fused loop over host buffers instead
//! of candle's dozen element-wise tensor ops (each of which allocates a full-size buffer);
//! on other devices it delegates to `candle_nn::AdamW`.

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};
use candle_nn::{Optimizer, ParamsAdamW};

/// The optimiser used by training.
pub(crate) enum AdamW {
    /// Fused host loop (CPU tensors).
    Host(HostAdamW),
    /// candle's tensor-op implementation (GPU tensors).
    Candle(candle_nn::AdamW),
}

impl AdamW {
    /// An optimiser over `vars`, fused when they live on the CPU.
    pub(crate) fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        if vars.iter().all(|v| v.device().is_cpu()) {
            Ok(Self::Host(HostAdamW::new(vars, params)))
        } else {
            Ok(Self::Candle(candle_nn::AdamW::new(vars, params)?))
        }
    }

    /// One update from `grads`; variables without a gradient are left alone.
    pub(crate) fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        match self {
            Self::Host(adam) => adam.step(grads),
            Self::Candle(adam) => adam.step(grads),
        }
    }
}

/// Per-variable first and second moments on the host.
pub(crate) struct HostAdamW {
    vars: Vec<(Var, Vec<f32>, Vec<f32>)>,
    params: ParamsAdamW,
    step_t: i32,
    theta: Vec<f32>,
}

impl HostAdamW {
    fn new(vars: Vec<Var>, params: ParamsAdamW) -> Self {
        let vars = vars
            .into_iter()
            .map(|var| {
                let n = var.elem_count();
                (var, vec![0f32; n], vec![0f32; n])
            })
            .collect();
        Self {
            vars,
            params,
            step_t: 0,
            theta: Vec::new(),
        }
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        self.step_t += 1;
        let p = &self.params;
        let (beta1, beta2) = (p.beta1 as f32, p.beta2 as f32);
        let scale_m = (1.0 / (1.0 - p.beta1.powi(self.step_t))) as f32;
        let scale_v = (1.0 / (1.0 - p.beta2.powi(self.step_t))) as f32;
        let decay = (1.0 - p.lr * p.weight_decay) as f32;
        let lr = p.lr as f32;
        let eps = p.eps as f32;
        for (var, m, v) in &mut self.vars {
            let Some(grad) = grads.get(var) else {
                continue;
            };
            let grad = grad.flatten_all()?.to_vec1::<f32>()?;
            self.theta.clear();
            self.theta
                .extend(var.as_tensor().flatten_all()?.to_vec1::<f32>()?);
            for (((theta, m), v), g) in self
                .theta
                .iter_mut()
                .zip(m.iter_mut())
                .zip(v.iter_mut())
                .zip(&grad)
            {
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                let step = (*m * scale_m) / ((*v * scale_v).sqrt() + eps);
                *theta = *theta * decay - lr * step;
            }
            var.set(&Tensor::from_slice(&self.theta, var.shape(), var.device())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// The fused loop and candle_nn's AdamW take the same steps.
    #[test]
    fn matches_candle_adamw() {
        let params = ParamsAdamW {
            lr: 0.1,
            beta1: 0.9,
            beta2: 0.999,
            eps: 0.01,
            weight_decay: 0.05,
        };
        let start = Tensor::new(&[[1f32, -2.0, 0.5], [3.0, 0.0, -1.0]], &Device::Cpu).unwrap();
        let fused_var = Var::from_tensor(&start.copy().unwrap()).unwrap();
        let candle_var = Var::from_tensor(&start.copy().unwrap()).unwrap();
        let mut fused = HostAdamW::new(vec![fused_var.clone()], params.clone());
        let mut reference = candle_nn::AdamW::new(vec![candle_var.clone()], params).unwrap();
        for _ in 0..5 {
            let loss = |var: &Var| {
                (var.as_tensor().sqr().unwrap() * 0.5)
                    .unwrap()
                    .sum_all()
                    .unwrap()
            };
            fused.step(&loss(&fused_var).backward().unwrap()).unwrap();
            reference
                .step(&loss(&candle_var).backward().unwrap())
                .unwrap();
        }
        let a = fused_var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = candle_var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }
}
