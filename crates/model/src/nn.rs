//! The network: encoder q(z | x), decoder p(x | z), the layers they share and their seeded
//! initialisation. Layers are built from a `VarBuilder`, so the `vb.pp(...)` prefixes become
//! the tensor names in `model.safetensors`.

pub(crate) mod bayesian;
pub(crate) mod bayesian_decoder;
pub(crate) mod decoder;
pub(crate) mod encoder;
pub(crate) mod init;
pub(crate) mod layer;
