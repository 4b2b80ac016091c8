//! Dispatch to one file per subcommand, and the error policy shared by all of them.

mod bin;
mod embed;
mod encode;
pub mod evaluate;
mod featurize;
mod generate;
mod plot;
mod reconstruct;
mod score;
mod train;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Featurize(args) => featurize::run(args, quiet),
        Command::Train(args) => train::run(args, quiet),
        Command::Embed(args) => embed::run(args, quiet),
        Command::Bin(args) => bin::run(args, quiet),
        Command::Encode(args) => encode::run(args, quiet),
        Command::Generate(args) => generate::run(args),
        Command::Reconstruct(args) => reconstruct::run(args, quiet),
        Command::Score(args) => score::run(args, quiet),
        Command::Evaluate(args) => evaluate::run(args),
        Command::Plot(args) => plot::run(args),
    }
}

/// A problem with what the user gave (files, options), found by the binary itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// The error as one line: the outermost message, with any distinct inner cause appended.
/// Line breaks become spaces; any other control character (or Unicode line separator), which
/// a damaged file's bytes quoted in the message can carry, is written escaped (`\u{b}`), so
/// the line stays one line and shows what is in the file.
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    let mut shown = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\n' | '\r' => shown.push(' '),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                shown.extend(c.escape_unicode())
            }
            c => shown.push(c),
        }
    }
    shown
}

/// 2 when the user's input or options are at fault, 130 when Ctrl-C stopped training, 1 for
/// any other failure.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let bad_input = error.chain().any(|cause| {
        if let Some(io) = cause.downcast_ref::<vaebio_io::Error>() {
            // A path that does not exist is the user's mistake, not a system failure.
            return io.is_input()
                || matches!(io, vaebio_io::Error::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound);
        }
        if let Some(model) = cause.downcast_ref::<vaebio_model::Error>() {
            return matches!(
                model,
                vaebio_model::Error::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound
            ) || matches!(
                model,
                vaebio_model::Error::InvalidConfig { .. }
                    | vaebio_model::Error::Data(_)
                    | vaebio_model::Error::Analysis(_)
                    | vaebio_model::Error::LikelihoodSetting { .. }
                    | vaebio_model::Error::OutsideSupport { .. }
                    | vaebio_model::Error::RaggedRows { .. }
                    | vaebio_model::Error::MissingDecoderOutput { .. }
                    | vaebio_model::Error::Checkpoint { .. }
                    | vaebio_model::Error::DeviceUnavailable { .. }
            );
        }
        // Points an analysis cannot use (too few for k, a label per point missing) are the
        // user's to fix, like the settings it refuses.
        cause.is::<vaebio_analysis::Error>() || cause.is::<BadInput>()
    });
    let interrupted = error.chain().any(|cause| {
        cause.is::<crate::faults::Interrupted>()
            || cause
                .downcast_ref::<crate::faults::Stopped>()
                .is_some_and(|stopped| stopped.interrupted)
    });
    if interrupted {
        crate::faults::INTERRUPTED_EXIT
    } else if bad_input {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    /// A value quoted from a damaged file keeps the error on one line, its invisible
    /// characters escaped; a cause already in the message is not repeated.
    #[test]
    fn one_line_escapes_control_characters() {
        let inner = anyhow::anyhow!("value '3.3\u{b}7\0' is not a number\nsee line 4\u{2028}");
        let error = inner.context("depth.txt:line 4");
        assert_eq!(
            one_line(&error),
            "depth.txt:line 4: value '3.3\\u{b}7\\u{0}' is not a number see line 4\\u{2028}"
        );
        let same = anyhow::anyhow!("tab\there").context("tab\there");
        assert_eq!(one_line(&same), "tab\\u{9}here");
    }
}
