//! `sieve data fetch` against a loopback HTTP server on 127.0.0.1 (no test touches the
//! internet): downloads verified against pinned checksums, resumed transfers, wrong
//! checksums, server errors, redirects, archives, and nothing half-written left behind.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::{sieve, write_config};
use sha2::{Digest, Sha256};
use sieve_datasets::{DatasetSource, KnownDataset, KnownFile};
use sieve_runners::fetch::{fetch_dataset, DownloadOutcome, FetchError, FetchOptions};

/// How the server answers one path.
#[derive(Clone)]
enum Answer {
    /// The body, honouring `Range: bytes=N-`.
    Body(Vec<u8>),
    /// Announces the whole body, sends its first `n` bytes, then closes.
    Truncated(Vec<u8>, usize),
    Status(u16),
    Redirect(String),
}

/// Each request's path and Range header.
type Requests = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A loopback HTTP/1.1 server; records each request's path and Range header.
struct Server {
    base: String,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    requests: Requests,
}

impl Server {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let requests: Requests = Arc::default();
        let (r, q) = (routes.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).is_err() {
                    continue;
                }
                let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut range = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':') {
                        if name.eq_ignore_ascii_case("range") {
                            range = Some(value.trim().to_string());
                        }
                    }
                }
                q.lock().unwrap().push((path.clone(), range.clone()));
                let answer = r.lock().unwrap().get(&path).cloned();
                let response = match answer {
                    None => head(404, "Not Found", 0, &[]),
                    Some(Answer::Status(code)) => head(code, "Server Error", 0, &[]),
                    Some(Answer::Redirect(to)) => {
                        head(302, "Found", 0, &[format!("Location: {to}")])
                    }
                    Some(Answer::Body(body)) => {
                        let from = range
                            .as_deref()
                            .and_then(|r| r.strip_prefix("bytes="))
                            .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
                        match from {
                            Some(from) if from < body.len() => {
                                let mut out = head(
                                    206,
                                    "Partial Content",
                                    body.len() - from,
                                    &[format!(
                                        "Content-Range: bytes {from}-{}/{}",
                                        body.len() - 1,
                                        body.len()
                                    )],
                                );
                                out.extend_from_slice(&body[from..]);
                                out
                            }
                            _ => {
                                let mut out = head(200, "OK", body.len(), &[]);
                                out.extend_from_slice(&body);
                                out
                            }
                        }
                    }
                    Some(Answer::Truncated(body, n)) => {
                        let mut out = head(200, "OK", body.len(), &[]);
                        out.extend_from_slice(&body[..n]);
                        out
                    }
                };
                let _ = stream.write_all(&response);
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        Self {
            base,
            routes,
            requests,
        }
    }

    fn answer(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_string(), answer);
    }

    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.requests.lock().unwrap().clone()
    }
}

fn head(code: u16, reason: &str, length: usize, extra: &[String]) -> Vec<u8> {
    let mut text =
        format!("HTTP/1.1 {code} {reason}\r\nContent-Length: {length}\r\nConnection: close\r\n");
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A data set of `files` (name, content), pinned to their true checksums.
fn dataset(name: &str, files: &[(&str, &[u8])], archive: bool) -> &'static KnownDataset {
    let files: Vec<KnownFile> = files
        .iter()
        .map(|(n, bytes)| KnownFile {
            name: Box::leak(n.to_string().into_boxed_str()),
            url: "https://example.invalid/unused",
            size: bytes.len() as u64,
            sha256: Box::leak(sha256(bytes).into_boxed_str()),
        })
        .collect();
    Box::leak(Box::new(KnownDataset {
        name: Box::leak(name.to_string().into_boxed_str()),
        source: if archive {
            DatasetSource::Cifar10
        } else {
            DatasetSource::Idx
        },
        files: Box::leak(files.into_boxed_slice()),
        archive,
        homepage: "https://example.invalid",
    }))
}

fn options(dir: &Path, server: &Server) -> FetchOptions {
    FetchOptions {
        name: String::new(),
        dir: Some(dir.to_path_buf()),
        mirror: Some(format!("{}/files/", server.base)),
        quiet: true,
    }
}

/// File names in `dir`, sorted (hidden ones included).
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn bytes(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt))
        .collect()
}

#[test]
fn files_download_verified_and_a_second_fetch_downloads_nothing() {
    let server = Server::start();
    let (a, b) = (bytes(3000, 1), bytes(70_000, 2));
    server.answer("/files/a.gz", Answer::Body(a.clone()));
    server.answer("/files/b.gz", Answer::Body(b.clone()));
    let data = dataset("two", &[("a.gz", &a), ("b.gz", &b)], false);
    let dir = tempfile::tempdir().unwrap();
    let report = fetch_dataset(data, &options(dir.path(), &server)).unwrap();
    assert_eq!(
        report.files.iter().map(|f| f.1).collect::<Vec<_>>(),
        vec![DownloadOutcome::Downloaded; 2]
    );
    assert_eq!(std::fs::read(dir.path().join("a.gz")).unwrap(), a);
    assert_eq!(std::fs::read(dir.path().join("b.gz")).unwrap(), b);
    assert_eq!(listing(dir.path()), vec!["a.gz", "b.gz"]);
    let asked = server.requests().len();
    let again = fetch_dataset(data, &options(dir.path(), &server)).unwrap();
    assert!(again.files.iter().all(|f| f.1 == DownloadOutcome::Present));
    assert_eq!(server.requests().len(), asked, "nothing downloaded again");
}

#[test]
fn a_truncated_transfer_keeps_its_part_and_resumes_with_a_range_request() {
    let server = Server::start();
    let body = bytes(50_000, 3);
    server.answer("/files/big.gz", Answer::Truncated(body.clone(), 12_345));
    let data = dataset("big", &[("big.gz", &body)], false);
    let dir = tempfile::tempdir().unwrap();
    let err = fetch_dataset(data, &options(dir.path(), &server)).unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::Interrupted {
                got: 12_345,
                expected: 50_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("run the same command again"),
        "{err}"
    );
    assert_eq!(
        listing(dir.path()),
        vec![".big.gz.part"],
        "no final name yet"
    );

    server.answer("/files/big.gz", Answer::Body(body.clone()));
    let report = fetch_dataset(data, &options(dir.path(), &server)).unwrap();
    assert_eq!(report.files[0].1, DownloadOutcome::Resumed { from: 12_345 });
    assert_eq!(
        server.requests().last().unwrap().1.as_deref(),
        Some("bytes=12345-")
    );
    assert_eq!(std::fs::read(dir.path().join("big.gz")).unwrap(), body);
    assert_eq!(listing(dir.path()), vec!["big.gz"]);
}

#[test]
fn a_wrong_checksum_server_errors_and_redirects() {
    let server = Server::start();
    let good = bytes(4096, 4);
    let data = dataset("one", &[("one.gz", &good)], false);
    let dir = tempfile::tempdir().unwrap();

    // Same size, other bytes: refused, and nothing is kept.
    server.answer("/files/one.gz", Answer::Body(bytes(4096, 5)));
    let err = fetch_dataset(data, &options(dir.path(), &server)).unwrap_err();
    assert!(matches!(err, FetchError::Checksum { .. }), "{err}");
    assert!(err.to_string().contains("one.gz"), "{err}");
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));

    // More bytes than the official size: stopped early, nothing kept.
    server.answer("/files/one.gz", Answer::Body(bytes(9000, 4)));
    let err = fetch_dataset(data, &options(dir.path(), &server)).unwrap_err();
    assert!(err.to_string().contains("more than the official"), "{err}");
    assert!(listing(dir.path()).is_empty());

    // A server error names the URL and status; nothing is written.
    server.answer("/files/one.gz", Answer::Status(503));
    let err = fetch_dataset(data, &options(dir.path(), &server)).unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 503, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/files/one.gz"), "{err}");
    assert!(listing(dir.path()).is_empty());

    // A redirect is followed.
    server.answer("/files/one.gz", Answer::Redirect("/moved/one.gz".into()));
    server.answer("/moved/one.gz", Answer::Body(good.clone()));
    fetch_dataset(data, &options(dir.path(), &server)).unwrap();
    assert_eq!(std::fs::read(dir.path().join("one.gz")).unwrap(), good);

    // A file already there with other content is the user's: refused, not replaced.
    std::fs::write(dir.path().join("one.gz"), b"my own file").unwrap();
    let err = fetch_dataset(data, &options(dir.path(), &server)).unwrap_err();
    assert!(matches!(err, FetchError::ExistingMismatch { .. }), "{err}");
    assert_eq!(
        std::fs::read(dir.path().join("one.gz")).unwrap(),
        b"my own file"
    );
}

/// A CIFAR-10-style binary batch: `n` records of label + 3072 bytes.
fn cifar_batch(n: usize, salt: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push((i % 10) as u8);
        out.extend((0..3072).map(|j| ((i * 7 + j) as u8).wrapping_add(salt)));
    }
    out
}

fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Written raw, so a test can also build a hostile path.
        let name = header.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *bytes).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn an_archive_unpacks_into_a_folder_the_cifar_loader_reads() {
    let server = Server::start();
    let mut entries: Vec<(String, Vec<u8>)> = (1..=5)
        .map(|k| {
            (
                format!("cifar-10-batches-bin/data_batch_{k}.bin"),
                cifar_batch(4, k as u8),
            )
        })
        .collect();
    entries.push((
        "cifar-10-batches-bin/test_batch.bin".into(),
        cifar_batch(3, 9),
    ));
    let borrowed: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let archive = tar_gz(&borrowed);
    server.answer(
        "/files/cifar-10-binary.tar.gz",
        Answer::Body(archive.clone()),
    );
    let data = dataset("cifar10", &[("cifar-10-binary.tar.gz", &archive)], true);
    let dir = tempfile::tempdir().unwrap();
    fetch_dataset(data, &options(dir.path(), &server)).unwrap();
    let splits = sieve_datasets::load_cifar10(dir.path()).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (20, 3));
    assert!(listing(dir.path()).contains(&"cifar-10-batches-bin".to_string()));
    assert!(!listing(dir.path())
        .iter()
        .any(|n| n.ends_with(".unpacking")));

    // A hostile archive: refused, nothing outside the folder.
    let outside = tempfile::tempdir().unwrap();
    let evil_dir = outside.path().join("data");
    let evil = tar_gz(&[("../escaped.bin", b"x")]);
    server.answer("/files/evil.tar.gz", Answer::Body(evil.clone()));
    let data = dataset("evil", &[("evil.tar.gz", &evil)], true);
    let err = fetch_dataset(data, &options(&evil_dir, &server)).unwrap_err();
    assert!(err.to_string().contains("outside the folder"), "{err}");
    assert!(!outside.path().join("escaped.bin").exists());
    assert_eq!(
        listing(&evil_dir),
        vec!["evil.tar.gz"],
        "only the verified archive stays"
    );
}

#[test]
fn the_command_line_names_the_data_set_and_the_fetch_command() {
    // Unknown name: a usage error with a suggestion.
    let output = sieve()
        .args(["data", "fetch", "fashion-mnst"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did you mean `fashion-mnist`"), "{stderr}");

    // A mirror without the files: the URL and status, exit 1, nothing kept.
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let output = sieve()
        .args(["data", "fetch", "mnist", "--quiet", "--mirror"])
        .arg(format!("{}/files", server.base))
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("/files/train-images-idx3-ubyte.gz: the server answered 404"),
        "{stderr}"
    );
    assert!(listing(dir.path()).is_empty());

    // A config naming a fetchable data set without a path: read from the fetch folder,
    // and when it is not there, the error says how to get it.
    let data_dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "fetched.toml",
        r#"
kind = "active"
seed = 1
repeats = 2

[[dataset]]
name = "fashion-mnist"

[[model]]
name = "mlp"
hidden = [8]

[[regularization]]
name = "none"
epochs = 2

[[strategy]]
name = "random"

[[budget]]
initial = 10
query = 10
rounds = 1
"#,
    );
    let run = || {
        sieve()
            .env("SIEVE_DATA_DIR", data_dir.path())
            .arg("run")
            .arg(&config)
            .arg("--out")
            .arg(dir.path().join("out"))
            .arg("--quiet")
            .output()
            .unwrap()
    };
    let output = run();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sieve data fetch fashion-mnist"),
        "{stderr}"
    );
    // Small IDX files where `fetch` would put them.
    let folder = data_dir.path().join("fashion-mnist");
    std::fs::create_dir_all(&folder).unwrap();
    for (stem, n) in [("train", 60usize), ("t10k", 20)] {
        let mut images = vec![0, 0, 8, 3];
        for d in [n as u32, 4, 4] {
            images.extend(d.to_be_bytes());
        }
        images.extend((0..n * 16).map(|i| ((i * 13) % 256) as u8));
        let mut labels = vec![0, 0, 8, 1];
        labels.extend((n as u32).to_be_bytes());
        labels.extend((0..n).map(|i| (i % 10) as u8));
        std::fs::write(folder.join(format!("{stem}-images-idx3-ubyte")), images).unwrap();
        std::fs::write(folder.join(format!("{stem}-labels-idx1-ubyte")), labels).unwrap();
    }
    let output = run();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut text = String::new();
    std::fs::File::open(dir.path().join("out/records.csv"))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("fashion-mnist"));
}
