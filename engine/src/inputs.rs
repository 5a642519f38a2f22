//! Streaming certificate inputs for batch commands (`kakunin verify`
//! and the options that name certificate files).
//!
//! An input is a file (one DER certificate, several concatenated DER
//! certificates, or a PEM bundle), a directory (its files, sorted, not
//! recursive), or `-` (standard input, DER or PEM). Certificates are read
//! one at a time through a buffered reader, so memory does not grow with
//! the batch; a PEM bundle of a million certificates is never held whole.
//!
//! Junk between PEM blocks is skipped, as OpenSSL does; a block that does
//! not decode becomes one failed item, and the stream goes on.
//!
//! [`Inputs::from_reader`] reads one input that is already open (a pipe,
//! a buffer) the same way: the fuzz target `cert_bundle` goes through it.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;

/// One certificate read from an input, or why it could not be read.
pub struct Item {
    /// Where it came from: the path (or `-`), with `#n` for the n-th
    /// certificate (1-based) of a bundle.
    pub label: String,
    /// The DER bytes, or a description of what was wrong.
    pub der: Result<Vec<u8>, String>,
    /// `der` still holds the base64 body of a PEM block: decoding is left
    /// to [`Item::decode`] so that batch commands do it on every core
    /// rather than on the single reader thread.
    base64: bool,
}

impl Item {
    /// Finishes decoding a PEM body (a no-op for DER and errors).
    pub fn decode(&mut self) {
        if self.base64 {
            self.base64 = false;
            if let Ok(b64) = &self.der {
                self.der = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| format!("PEM block is not valid base64: {e}"));
            }
        }
    }
}

/// Largest certificate we accept (a JPKI certificate is ~1.5 KB).
const MAX_CERT: usize = 1 << 20;

enum Source {
    Pem(Box<dyn BufRead + Send>),
    Der(Box<dyn BufRead + Send>),
    Empty,
    Done,
}

/// An input path that cannot be read or listed: a usage error, reported
/// before any certificate is read.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {path}: {source}", path = path.display())]
pub struct InputError {
    /// What was being done: `read input` or `list`.
    action: &'static str,
    /// The path given.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: io::Error,
}

/// Iterates over every certificate of every input, in order.
pub struct Inputs {
    pending: std::vec::IntoIter<PathBuf>,
    current: Source,
    name: String,
    count: usize,
}

impl Inputs {
    /// Expands directories (sorted) and checks that every path exists, so
    /// that usage errors surface before any output.
    pub fn new(args: &[String]) -> Result<Inputs, InputError> {
        let mut paths = Vec::new();
        for a in args {
            if a == "-" {
                paths.push(PathBuf::from("-"));
                continue;
            }
            let p = PathBuf::from(a);
            let meta = std::fs::metadata(&p).map_err(|source| InputError {
                action: "read input",
                path: p.clone(),
                source,
            })?;
            if meta.is_dir() {
                let mut files: Vec<PathBuf> = std::fs::read_dir(&p)
                    .map_err(|source| InputError {
                        action: "list",
                        path: p.clone(),
                        source,
                    })?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect();
                files.sort();
                paths.extend(files);
            } else {
                paths.push(p);
            }
        }
        Ok(Inputs {
            pending: paths.into_iter(),
            current: Source::Done,
            name: String::new(),
            count: 0,
        })
    }

    /// One input that is already open, named `name` in the labels: read
    /// exactly as a file of that name would be (DER or PEM by its first
    /// byte, bundles allowed).
    pub fn from_reader(name: &str, reader: impl BufRead + Send + 'static) -> Inputs {
        let mut inputs = Inputs {
            pending: Vec::new().into_iter(),
            current: Source::Done,
            name: name.to_string(),
            count: 0,
        };
        inputs.start(Box::new(reader));
        inputs
    }

    fn open_next(&mut self) -> Option<Result<(), Item>> {
        let path = self.pending.next()?;
        self.name = path.display().to_string();
        self.count = 0;
        let reader: Box<dyn BufRead + Send> = if path == Path::new("-") {
            Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
        } else {
            match File::open(&path) {
                Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
                Err(e) => {
                    return Some(Err(Item {
                        label: self.name.clone(),
                        der: Err(format!("cannot open: {e}")),
                        base64: false,
                    }))
                }
            }
        };
        self.start(reader);
        Some(Ok(()))
    }

    fn start(&mut self, mut reader: Box<dyn BufRead + Send>) {
        // DER starts with a SEQUENCE tag; anything else is treated as PEM
        // text (and a file that is neither yields one failed item).
        let first = reader.fill_buf().ok().and_then(|b| b.first().copied());
        self.current = match first {
            Some(0x30) => Source::Der(reader),
            Some(_) => Source::Pem(reader),
            None => Source::Empty,
        };
    }

    fn label(&self) -> String {
        format!("{}#{}", self.name, self.count)
    }
}

impl Iterator for Inputs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            let step = match &mut self.current {
                Source::Done => None,
                Source::Empty => Some(Ok(None)),
                Source::Der(r) => Some(next_der(r)),
                Source::Pem(r) => Some(next_pem(r)),
            };
            match step {
                Some(Ok(Some(der))) => {
                    self.count += 1;
                    let base64 = matches!(self.current, Source::Pem(_));
                    return Some(Item {
                        label: self.label(),
                        der: Ok(der),
                        base64,
                    });
                }
                Some(Ok(None)) => {
                    let none_yet = self.count == 0;
                    self.current = Source::Done;
                    if none_yet {
                        self.count = 1;
                        return Some(Item {
                            label: self.label(),
                            der: Err(
                                "no certificate found (expected DER or PEM \"CERTIFICATE\" blocks)"
                                    .into(),
                            ),
                            base64: false,
                        });
                    }
                }
                Some(Err(e)) => {
                    self.count += 1;
                    let item = Item {
                        label: self.label(),
                        der: Err(e.message),
                        base64: false,
                    };
                    if e.fatal {
                        self.current = Source::Done;
                    }
                    return Some(item);
                }
                None => match self.open_next()? {
                    Ok(()) => {}
                    Err(item) => return Some(item),
                },
            }
        }
    }
}

struct ReadError {
    message: String,
    /// The rest of this input cannot be read (DER framing lost, I/O error).
    fatal: bool,
}

fn fatal(message: String) -> ReadError {
    ReadError {
        message,
        fatal: true,
    }
}

/// Reads one DER TLV (a certificate) from concatenated DER.
fn next_der(r: &mut Box<dyn BufRead + Send>) -> Result<Option<Vec<u8>>, ReadError> {
    let mut head = [0u8; 2];
    match r.read(&mut head[..1]) {
        Ok(0) => return Ok(None),
        Ok(_) => {}
        Err(e) => return Err(fatal(format!("read error: {e}"))),
    }
    r.read_exact(&mut head[1..])
        .map_err(|_| fatal("truncated DER: input ends inside a certificate header".into()))?;
    if head[0] != 0x30 {
        return Err(fatal(format!(
            "not DER: expected a certificate SEQUENCE (0x30), found 0x{:02x}",
            head[0]
        )));
    }
    let (len, extra) = match head[1] {
        l if l < 0x80 => (l as usize, Vec::new()),
        0x81..=0x84 => {
            let n = (head[1] & 0x7f) as usize;
            let mut b = vec![0u8; n];
            r.read_exact(&mut b)
                .map_err(|_| fatal("truncated DER: input ends inside a length".into()))?;
            let len = b.iter().fold(0usize, |a, x| (a << 8) | *x as usize);
            (len, b)
        }
        _ => return Err(fatal("not DER: unsupported length encoding".into())),
    };
    if len > MAX_CERT {
        return Err(fatal(format!(
            "certificate of {len} bytes is larger than {MAX_CERT}"
        )));
    }
    let mut der = Vec::with_capacity(2 + extra.len() + len);
    der.extend_from_slice(&head);
    der.extend_from_slice(&extra);
    let start = der.len();
    der.resize(start + len, 0);
    r.read_exact(&mut der[start..]).map_err(|_| {
        fatal(format!(
            "truncated DER: certificate of {len} bytes cut short"
        ))
    })?;
    Ok(Some(der))
}

/// Reads the next `-----BEGIN CERTIFICATE-----` block, skipping anything
/// between blocks, and returns its base64 body (see [`Item::decode`]).
fn next_pem(r: &mut Box<dyn BufRead + Send>) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::with_capacity(80);
    loop {
        line.clear();
        if read_line(r, &mut line).map_err(fatal)? == 0 {
            return Ok(None);
        }
        let t = line.trim_ascii();
        if t == b"-----BEGIN CERTIFICATE-----" || t == b"-----BEGIN X509 CERTIFICATE-----" {
            break;
        }
    }
    let mut b64 = Vec::with_capacity(2048);
    loop {
        line.clear();
        if read_line(r, &mut line).map_err(fatal)? == 0 {
            return Err(fatal(
                "truncated PEM: no -----END CERTIFICATE----- line".into(),
            ));
        }
        let t = line.trim_ascii();
        if t.starts_with(b"-----END") {
            break;
        }
        if b64.len() > 2 * MAX_CERT {
            return Err(fatal("PEM block larger than any certificate".into()));
        }
        b64.extend_from_slice(t);
    }
    Ok(Some(b64))
}

/// One line (bytes, junk allowed), at most 1 MiB.
fn read_line(r: &mut Box<dyn BufRead + Send>, line: &mut Vec<u8>) -> Result<usize, String> {
    r.take(1 << 20)
        .read_until(b'\n', line)
        .map_err(|e| format!("read error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn items(args: &[String]) -> Vec<(String, Result<Vec<u8>, String>)> {
        Inputs::new(args)
            .unwrap()
            .map(|i| {
                let mut i = i;
                i.decode();
                (i.label, i.der)
            })
            .collect()
    }

    fn pem(der: &[u8]) -> String {
        let b = base64::engine::general_purpose::STANDARD.encode(der);
        let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
        for c in b.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(c).unwrap());
            s.push('\n');
        }
        s.push_str("-----END CERTIFICATE-----\n");
        s
    }

    #[test]
    fn bundles_junk_der_and_directories() {
        let d = tempfile::tempdir().unwrap();
        let a = [0x30, 0x03, 1, 2, 3];
        let b = [0x30, 0x81, 0x80]
            .iter()
            .copied()
            .chain([7u8; 0x80])
            .collect::<Vec<u8>>();
        let mut f = File::create(d.path().join("1.pem")).unwrap();
        write!(f, "junk before\n{}\nmore junk ÿ\n{}", pem(&a), pem(&b)).unwrap();
        write!(
            f,
            "-----BEGIN CERTIFICATE-----\n!!notbase64!!\n-----END CERTIFICATE-----\n{}",
            pem(&a)
        )
        .unwrap();
        let mut g = File::create(d.path().join("2.der")).unwrap();
        g.write_all(&a).unwrap();
        g.write_all(&b).unwrap();
        g.write_all(&[0x30, 0x05, 1]).unwrap(); // truncated
        std::fs::write(d.path().join("3.txt"), "no certificates here\n").unwrap();
        std::fs::write(d.path().join("4.empty"), "").unwrap();
        let got = items(&[d.path().display().to_string()]);
        let labels: Vec<&str> = got
            .iter()
            .map(|g| g.0.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(
            labels,
            [
                "1.pem#1",
                "1.pem#2",
                "1.pem#3",
                "1.pem#4",
                "2.der#1",
                "2.der#2",
                "2.der#3",
                "3.txt#1",
                "4.empty#1"
            ]
        );
        assert_eq!(got[0].1.as_deref().unwrap(), &a);
        assert_eq!(got[1].1.as_deref().unwrap(), &b[..]);
        assert!(got[2].1.as_ref().unwrap_err().contains("base64"));
        assert_eq!(got[3].1.as_deref().unwrap(), &a);
        assert_eq!(got[5].1.as_deref().unwrap(), &b[..]);
        assert!(got[6].1.as_ref().unwrap_err().contains("truncated"));
        assert!(got[7].1.as_ref().unwrap_err().contains("no certificate"));
        assert!(got[8].1.is_err());
    }

    #[test]
    fn missing_paths_are_usage_errors() {
        let e = Inputs::new(&["/no/such/file".to_string()]).err().unwrap();
        assert!(e
            .to_string()
            .starts_with("cannot read input /no/such/file: "));
    }

    #[test]
    fn an_open_reader_reads_like_a_file() {
        let a = [0x30, 0x03, 1, 2, 3];
        let text = format!("junk\n{}{}", pem(&a), pem(&a));
        let got: Vec<_> = Inputs::from_reader("pipe", io::Cursor::new(text.into_bytes()))
            .map(|mut i| {
                i.decode();
                (i.label, i.der)
            })
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, "pipe#2");
        assert_eq!(got[1].1.as_deref().unwrap(), &a);
        let mut der = Inputs::from_reader("der", io::Cursor::new(a.to_vec()));
        assert_eq!(der.next().unwrap().der.unwrap(), a);
        assert!(der.next().is_none());
        let mut empty = Inputs::from_reader("empty", io::empty());
        assert!(empty.next().unwrap().der.is_err());
        assert!(empty.next().is_none());
    }
}
