//! Progress on stderr (indicatif), silent under `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vaebio_model::Progress;

/// An epoch bar showing the latest training and validation loss.
pub struct TrainingBar {
    bar: ProgressBar,
}

impl TrainingBar {
    /// A bar of `epochs` steps; hidden when `quiet` or stderr is not a terminal.
    pub fn new(epochs: usize, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(epochs as u64),
            if quiet {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            },
        );
        bar.set_style(
            ProgressStyle::with_template("training {bar:30} epoch {pos}/{len} {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Self { bar }
    }

    /// Updates the bar from a training callback.
    pub fn update(&self, progress: &Progress) {
        if let Progress::Epoch { epochs, record } = progress {
            self.bar.set_length(*epochs as u64);
            self.bar.set_position(record.epoch as u64);
            let validation = record
                .validation
                .as_ref()
                .map(|v| format!(" validation {:.4}", v.total))
                .unwrap_or_default();
            self.bar
                .set_message(format!("loss {:.4}{validation}", record.train.total));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A spinner for featurization, cleared when done.
pub fn spinner(message: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Prints summary lines to stderr unless quiet.
pub fn summarize(lines: &[String], quiet: bool) {
    if !quiet {
        for line in lines {
            eprintln!("{line}");
        }
    }
}
