//! Alerts as lines on standard output or appended to a file.

use super::{Format, Output, OutputError};
use crate::alert::Alert;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A line-per-alert writer.
pub struct Stream {
    name: String,
    format: Format,
    out: Box<dyn Write + Send>,
}

impl Stream {
    /// Standard output.
    pub fn stdout(format: Format) -> Stream {
        Stream {
            name: "stdout".into(),
            format,
            out: Box::new(std::io::stdout()),
        }
    }

    /// Appends to `path` (created if missing).
    pub fn file(format: Format, path: &Path) -> Result<Stream, OutputError> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| OutputError::Io {
                what: path.display().to_string(),
                source,
            })?;
        Ok(Stream::writer(
            format!("file:{}", path.display()),
            format,
            Box::new(BufWriter::new(f)),
        ))
    }

    /// Any writer.
    pub fn writer(name: String, format: Format, out: Box<dyn Write + Send>) -> Stream {
        Stream { name, format, out }
    }
}

impl Output for Stream {
    fn name(&self) -> &str {
        &self.name
    }

    fn emit(&mut self, alert: &Alert) -> Result<(), OutputError> {
        let mut line = self.format.line(alert);
        line.push('\n');
        self.out
            .write_all(line.as_bytes())
            .map_err(|source| OutputError::Io {
                what: self.name.clone(),
                source,
            })
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        self.out.flush().map_err(|source| OutputError::Io {
            what: self.name.clone(),
            source,
        })
    }
}
