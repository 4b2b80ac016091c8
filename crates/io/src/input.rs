//! Opening inputs: a path or `-` for stdin, plain or gzip/BGZF detected from magic bytes.
//!
//! Every reader in this crate reads through [`open`], so compression and stdin work the
//! same for all formats. A corrupt or truncated compressed stream surfaces as an
//! `std::io::Error` that [`Error::from_read`] turns into [`Error::Truncated`] naming the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use crate::error::{Error, Result, Where};

/// Buffer size for file and decompressor reads: small enough to stay in L2 cache, which
/// made the kernel-to-user copy of plain files 5× cheaper than 256 KiB on the 2-core box.
const BUFFER_BYTES: usize = 128 * 1024;

/// How an input was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip, including multi-member gzip and BGZF (which is multi-member gzip).
    Gzip,
}

/// An opened input: a buffered reader of decompressed bytes plus the name used in errors.
pub struct Input {
    name: String,
    compression: Compression,
    reader: Box<dyn BufRead + Send>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

impl Input {
    /// The name used in error messages: the path as given, or `<stdin>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The compression detected from the first bytes.
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// The decompressed byte stream.
    pub fn into_reader(self) -> Box<dyn BufRead + Send> {
        self.reader
    }

    /// The error position for the whole input.
    pub fn at(&self) -> Where {
        Where::file(self.name.clone())
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

impl BufRead for Input {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.reader.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        self.reader.consume(amount);
    }
}

/// Opens `path` for reading; `-` reads standard input. gzip (and BGZF) is detected from
/// the magic bytes `1f 8b`, whatever the extension; zstd, bzip2 and xz are recognised and
/// refused with a message saying how to decompress.
pub fn open(path: impl AsRef<Path>) -> Result<Input> {
    let path = path.as_ref();
    if path.as_os_str() == "-" {
        return from_reader("<stdin>", io::stdin());
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| Error::io(name.clone(), source))?;
    from_reader(name, file)
}

/// Wraps any byte source (a file, stdin, bytes in memory) like [`open`] does, detecting
/// compression from its first bytes. `name` is used in error messages.
pub fn from_reader(
    name: impl Into<String>,
    mut source: impl Read + Send + 'static,
) -> Result<Input> {
    let name = name.into();
    let mut magic = [0u8; 6];
    let mut filled = 0;
    while filled < magic.len() {
        match source.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => return Err(Error::io(name, source)),
        }
    }
    let head = &magic[..filled];
    if let Some(format) = unsupported_compression(head) {
        return Err(Error::invalid(
            Where::file(name),
            format!("{format}-compressed input is not supported"),
            format!(
                "decompress it first, or recompress with gzip/bgzip ({format} -dc FILE | gzip > FILE.gz)"
            ),
        ));
    }
    let rejoined: Chain<Cursor<Vec<u8>>, _> = Cursor::new(head.to_vec()).chain(source);
    let buffered = BufReader::with_capacity(BUFFER_BYTES, rejoined);
    let (compression, reader): (Compression, Box<dyn BufRead + Send>) =
        if head.starts_with(&[0x1f, 0x8b]) {
            let decoder = CorruptGuard(MultiGzDecoder::new(buffered));
            (
                Compression::Gzip,
                Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)),
            )
        } else {
            (Compression::None, Box::new(buffered))
        };
    Ok(Input {
        name,
        compression,
        reader,
    })
}

fn unsupported_compression(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zstd")
    } else if head.starts_with(b"BZh") {
        Some("bzip2")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Some("xz")
    } else {
        None
    }
}

/// Marker carried inside an `io::Error` when a decompressor fails, so [`Error::from_read`]
/// can report a truncated or corrupt file rather than an OS failure.
#[derive(Debug)]
pub struct CorruptStream(pub String);

impl std::fmt::Display for CorruptStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CorruptStream {}

/// Tags decoder failures (early end, bad deflate data, bad trailer) as [`CorruptStream`].
struct CorruptGuard<R>(R);

impl<R: Read> Read for CorruptGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|error| match error.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidData => {
                let detail = if error.kind() == io::ErrorKind::UnexpectedEof {
                    "stream ends before the gzip trailer".to_string()
                } else {
                    error.to_string()
                };
                io::Error::new(error.kind(), CorruptStream(detail))
            }
            _ => error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression as Level;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Level::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn read_all(input: Input) -> Result<Vec<u8>> {
        let at = input.at();
        let mut out = Vec::new();
        input
            .into_reader()
            .read_to_end(&mut out)
            .map_err(|e| Error::from_read(at, e))?;
        Ok(out)
    }

    #[test]
    fn plain_bytes_pass_through() {
        let input = from_reader("a.fa", Cursor::new(b">a\nACGT\n".to_vec())).unwrap();
        assert_eq!(input.compression(), Compression::None);
        assert_eq!(read_all(input).unwrap(), b">a\nACGT\n");
    }

    #[test]
    fn tiny_inputs_shorter_than_the_magic_work() {
        let input = from_reader("a", Cursor::new(b">".to_vec())).unwrap();
        assert_eq!(read_all(input).unwrap(), b">");
        let input = from_reader("empty", Cursor::new(Vec::new())).unwrap();
        assert!(read_all(input).unwrap().is_empty());
    }

    #[test]
    fn gzip_detected_by_magic_and_multi_member_concatenated() {
        let mut bytes = gzip(b">a\nAC");
        bytes.extend(gzip(b"GT\n"));
        let input = from_reader("reads.txt", Cursor::new(bytes)).unwrap();
        assert_eq!(input.compression(), Compression::Gzip);
        assert_eq!(read_all(input).unwrap(), b">a\nACGT\n");
    }

    #[test]
    fn truncated_gzip_is_a_typed_error_naming_the_file() {
        let data: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let bytes = gzip(&data);
        let cut = bytes[..bytes.len() / 2].to_vec();
        let input = from_reader("big.fa.gz", Cursor::new(cut)).unwrap();
        let error = read_all(input).unwrap_err();
        assert!(matches!(error, Error::Truncated { .. }), "{error}");
        assert!(
            error.to_string().starts_with("big.fa.gz: truncated"),
            "{error}"
        );
        assert!(error.is_input());
    }

    #[test]
    fn gzip_missing_only_its_trailer_is_truncated() {
        let bytes = gzip(b">a\nACGT\n");
        let cut = bytes[..bytes.len() - 4].to_vec();
        let input = from_reader("a.fa.gz", Cursor::new(cut)).unwrap();
        assert!(matches!(read_all(input), Err(Error::Truncated { .. })));
    }

    #[test]
    fn zstd_is_refused_with_a_fix() {
        let error =
            from_reader("a.fa.zst", Cursor::new(vec![0x28, 0xb5, 0x2f, 0xfd, 0, 0])).unwrap_err();
        assert!(error.to_string().contains("zstd"), "{error}");
    }

    #[test]
    fn missing_file_is_an_os_error() {
        let error = open("/nonexistent/dir/x.fa").unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(!error.is_input());
    }
}
