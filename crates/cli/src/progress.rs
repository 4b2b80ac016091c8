//! Progress on stderr (indicatif), silent under `--quiet`.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vaebio_model::Progress;

/// An epoch bar showing the latest training and validation loss; it also clocks the fits
/// before the first epoch and each epoch ([`TrainingBar::timing`]).
pub struct TrainingBar {
    bar: ProgressBar,
    clock: Mutex<Clock>,
}

/// When training started, when its fits were done, and when each epoch ended.
struct Clock {
    start: Instant,
    fitted: Option<Instant>,
    epoch_ends: Vec<Instant>,
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
        let clock = Clock {
            start: Instant::now(),
            fitted: None,
            epoch_ends: Vec::new(),
        };
        Self {
            bar,
            clock: Mutex::new(clock),
        }
    }

    /// Updates the bar from a training callback.
    pub fn update(&self, progress: &Progress) {
        if matches!(progress, Progress::Fitted | Progress::Epoch { .. })
            && let Ok(mut clock) = self.clock.lock()
        {
            match progress {
                Progress::Fitted => clock.fitted = Some(Instant::now()),
                _ => clock.epoch_ends.push(Instant::now()),
            }
        }
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

    /// Where the training time went, e.g. "fits 2.1 s, 74 epochs 812.4 s (median 10.9 s, last
    /// 11.2 s)": the fits before the first epoch, then the epochs run in this call. Empty when
    /// no epoch ran.
    pub fn timing(&self) -> String {
        let Ok(clock) = self.clock.lock() else {
            return String::new();
        };
        let (Some(fitted), Some(&last)) = (clock.fitted, clock.epoch_ends.last()) else {
            return String::new();
        };
        let mut epochs: Vec<Duration> = std::iter::once(fitted)
            .chain(clock.epoch_ends.iter().copied())
            .collect::<Vec<_>>()
            .windows(2)
            .map(|pair| pair[1] - pair[0])
            .collect();
        let newest = epochs.last().copied().unwrap_or_default();
        epochs.sort();
        format!(
            "fits {:.1} s, {} epochs {:.1} s (median {:.2} s, last {:.2} s)",
            (fitted - clock.start).as_secs_f64(),
            epochs.len(),
            (last - fitted).as_secs_f64(),
            epochs[epochs.len() / 2].as_secs_f64(),
            newest.as_secs_f64()
        )
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
