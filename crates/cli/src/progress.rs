//! Progress on stderr (indicatif), silent under `--quiet`.

use std::path::Path;

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

/// A bar for reading input: bytes read (of the file size, when known) and the rate; the
/// loaders wrap their file in it with [`open_input`]. Cleared when done.
pub fn reading_bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(
            "featurizing {spinner} {bytes}/{total_bytes} {bytes_per_sec} [{elapsed}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Opens `path` (`-` for stdin) like `vaebio_io::input::open`, counting the bytes read
/// (before decompression) on `bar`.
pub fn open_input(path: &Path, bar: &ProgressBar) -> anyhow::Result<vaebio_io::Input> {
    if path == Path::new("-") {
        return Ok(vaebio_io::input::from_reader(
            "<stdin>",
            bar.wrap_read(std::io::stdin()),
        )?);
    }
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| vaebio_io::Error::io(name.clone(), e))?;
    if let Ok(meta) = file.metadata() {
        bar.set_length(meta.len());
    }
    Ok(vaebio_io::input::from_reader(name, bar.wrap_read(file))?)
}

/// Prints summary lines to stderr unless quiet.
pub fn summarize(lines: &[String], quiet: bool) {
    if !quiet {
        for line in lines {
            eprintln!("{line}");
        }
    }
}
