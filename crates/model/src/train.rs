//! Training: the minibatch loop ([`Trainer`]), the AdamW optimiser, the loss terms and their
//! schedules, what is fitted before the first epoch (per-gene and per-cell likelihood weights,
//! the site-model start of alignment models), the state that lets a stopped run resume
//! exactly, and the data-parallel steps that run a minibatch's shards on several threads with
//! the same result as on one.

mod averaging;
mod fit;
pub mod gene_weights;
pub mod library_weights;
pub mod loss;
pub(crate) mod optim;
pub(crate) mod pca_start;
pub(crate) mod readback;
pub(crate) mod reduce;
pub mod resume;
mod run;
mod sampling;
pub(crate) mod shards;
mod shared_draw;
pub mod site_init;
mod snapshot;
mod trainer;

pub use run::{TrainEnd, Training};
pub use trainer::{EpochRecord, History, Progress, Trainer};
