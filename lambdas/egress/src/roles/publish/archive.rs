//! Writes the approved archive: a zip streamed entry by entry to a local file, hashed as it goes.
//!
//! Every entry is written with async_zip's streaming writer, which puts a Zip64 extra field on
//! each entry and ends the archive with Zip64 end records, so entries and archives over 4 GiB
//! are described by 64-bit sizes and offsets in the central directory. Memory stays at one copy
//! buffer plus the deflate window, whatever the size of the data.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_zip::base::write::ZipFileWriter;
use async_zip::error::ZipError;
use async_zip::{Compression, ZipDateTime, ZipDateTimeBuilder, ZipEntryBuilder};
use futures::{AsyncWriteExt as _, Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::fs::File;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt as _, BufWriter};
use tokio_util::compat::Compat;

use crate::domain::archive::{Manifest, ManifestFile};
use crate::domain::objects::{check_relative_path, file_type};

/// Size of the buffer each entry is copied through.
const COPY_BUFFER_BYTES: usize = 256 * 1024;
/// Regular file, `rw-r--r--`: without a mode, unzip would extract files no one can read.
const FILE_MODE: u16 = 0o100_644;

/// Why the archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive file could not be created.
    #[error("cannot create the archive file `{path}`")]
    Create {
        /// The file.
        path: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// An entry's content could not be read.
    #[error("cannot read the content of `{name}`")]
    Read {
        /// Entry name.
        name: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// An entry's content ended before its announced size.
    #[error("`{name}` has {actual} bytes, expected {expected}")]
    Truncated {
        /// Entry name.
        name: String,
        /// Announced size.
        expected: u64,
        /// Bytes read.
        actual: u64,
    },
    /// An entry could not be written.
    #[error("cannot write `{name}` into the archive")]
    Write {
        /// Entry name.
        name: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The central directory could not be written or the file not flushed.
    #[error("cannot finish the archive")]
    Finish(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An entry name is unsafe to extract.
    #[error("`{name}` is not a safe entry name: {reason}")]
    UnsafeName {
        /// Entry name.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// A file has the manifest's name.
    #[error("a file is named `{0}`, which is reserved for the manifest")]
    ManifestNameTaken(String),
    /// The manifest could not be encoded.
    #[error("cannot encode the manifest")]
    Manifest(#[source] serde_json::Error),
}

/// Size and SHA-256 of what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest256 {
    /// Bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

/// A tokio writer that counts and hashes every byte it passes on.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for HashingWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = poll {
            this.hasher.update(&buf[..written]);
            this.bytes += written as u64;
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A zip file being written, one streamed entry at a time.
pub struct ArchiveWriter {
    zip: ZipFileWriter<Compat<HashingWriter<BufWriter<File>>>>,
    modified: ZipDateTime,
}

/// Already-compressed formats gain nothing from deflate; they are stored as they are.
pub fn compression_for(path: &str) -> Compression {
    match file_type(path).as_str() {
        "zip" | "gz" | "tgz" | "bz2" | "xz" | "zst" | "7z" | "rar" | "jpg" | "jpeg" | "png"
        | "gif" | "webp" | "heic" | "mp3" | "mp4" | "m4a" | "mov" | "mkv" | "avi" | "parquet"
        | "bam" | "cram" | "docx" | "xlsx" | "pptx" => Compression::Stored,
        _ => Compression::Deflate,
    }
}

fn zip_date(now: time::OffsetDateTime) -> ZipDateTime {
    ZipDateTimeBuilder::new()
        .year(now.year())
        .month(u32::from(u8::from(now.month())))
        .day(u32::from(now.day()))
        .hour(u32::from(now.hour()))
        .minute(u32::from(now.minute()))
        .second(u32::from(now.second()))
        .build()
}

impl ArchiveWriter {
    /// Creates the archive file (which must not exist yet); entries are dated `now`.
    pub async fn create(path: &Path, now: time::OffsetDateTime) -> Result<Self, ArchiveError> {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .await
            .map_err(|source| ArchiveError::Create {
                path: path.display().to_string(),
                source,
            })?;
        let hashing = HashingWriter {
            inner: BufWriter::new(file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        Ok(ArchiveWriter {
            zip: ZipFileWriter::with_tokio(hashing),
            modified: zip_date(now),
        })
    }

    /// Streams one entry from `reader`, returning the size and SHA-256 of its content.
    pub async fn add<R: AsyncRead + Unpin>(
        &mut self,
        name: &str,
        compression: Compression,
        mut reader: R,
    ) -> Result<Digest256, ArchiveError> {
        let write_error = |source: Box<dyn std::error::Error + Send + Sync>| ArchiveError::Write {
            name: name.to_owned(),
            source,
        };
        let entry = ZipEntryBuilder::new(name.into(), compression)
            .unix_permissions(FILE_MODE)
            .last_modification_date(self.modified);
        let mut writer = self
            .zip
            .write_entry_stream(entry)
            .await
            .map_err(|e| write_error(Box::new(e)))?;
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut buffer = vec![0u8; COPY_BUFFER_BYTES];
        loop {
            let read = reader
                .read(&mut buffer)
                .await
                .map_err(|source| ArchiveError::Read {
                    name: name.to_owned(),
                    source,
                })?;
            if read == 0 {
                break;
            }
            let chunk = &buffer[..read];
            hasher.update(chunk);
            writer
                .write_all(chunk)
                .await
                .map_err(|e| write_error(Box::new(e)))?;
            bytes += read as u64;
        }
        writer.close().await.map_err(|e| write_error(Box::new(e)))?;
        Ok(Digest256 {
            bytes,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Writes the central directory and flushes the file; returns the archive's size and hash.
    pub async fn finish(self) -> Result<Digest256, ArchiveError> {
        let finish = |e: Box<dyn std::error::Error + Send + Sync>| ArchiveError::Finish(e);
        let compat = self
            .zip
            .close()
            .await
            .map_err(|e: ZipError| finish(Box::new(e)))?;
        let mut hashing = compat.into_inner();
        hashing.flush().await.map_err(|e| finish(Box::new(e)))?;
        hashing
            .inner
            .get_mut()
            .sync_all()
            .await
            .map_err(|e| finish(Box::new(e)))?;
        Ok(Digest256 {
            bytes: hashing.bytes,
            sha256: hex::encode(hashing.hasher.finalize()),
        })
    }
}

/// One file to put in the archive, with where it came from.
pub struct ArchiveInput<R> {
    /// Entry name: the path inside the egress store.
    pub path: String,
    /// Key in the egress store bucket.
    pub source_key: String,
    /// The submitted version.
    pub source_version_id: String,
    /// Size announced by the source, checked against what was read.
    pub expected_size: Option<u64>,
    /// The content.
    pub reader: R,
}

/// What was built.
#[derive(Debug, Clone)]
pub struct BuiltArchive {
    /// Size and hash of the zip file.
    pub digest: Digest256,
    /// Files in the archive, the manifest not counted.
    pub file_count: usize,
}

/// Writes every file of `files` into a new zip at `path`, in stream order, then the manifest
/// (`manifest` with its `files` filled in) as the last entry, named `manifest_name`.
///
/// Each file's reader is opened by the stream only when its turn comes, so one source is read
/// at a time. A stream error ends the build with that error.
pub async fn write_archive<S, R, E>(
    path: &Path,
    files: S,
    mut manifest: Manifest,
    manifest_name: &str,
    now: time::OffsetDateTime,
) -> Result<BuiltArchive, E>
where
    S: Stream<Item = Result<ArchiveInput<R>, E>>,
    R: AsyncRead + Unpin,
    E: From<ArchiveError>,
{
    let mut files = std::pin::pin!(files);
    let mut writer = ArchiveWriter::create(path, now).await?;
    manifest.files.clear();
    while let Some(input) = files.next().await {
        let input = input?;
        check_relative_path(&input.path).map_err(|reason| ArchiveError::UnsafeName {
            name: input.path.clone(),
            reason,
        })?;
        if input.path == manifest_name {
            return Err(ArchiveError::ManifestNameTaken(input.path).into());
        }
        let digest = writer
            .add(&input.path, compression_for(&input.path), input.reader)
            .await?;
        if let Some(expected) = input.expected_size.filter(|e| *e != digest.bytes) {
            return Err(ArchiveError::Truncated {
                name: input.path,
                expected,
                actual: digest.bytes,
            }
            .into());
        }
        manifest.files.push(ManifestFile {
            path: input.path,
            size: digest.bytes,
            sha256: digest.sha256,
            source_key: input.source_key,
            source_version_id: input.source_version_id,
        });
    }
    let json = serde_json::to_vec_pretty(&manifest).map_err(ArchiveError::Manifest)?;
    writer
        .add(manifest_name, Compression::Deflate, json.as_slice())
        .await?;
    let digest = writer.finish().await?;
    Ok(BuiltArchive {
        digest,
        file_count: manifest.files.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-10-20 14:03:09 UTC)
    }

    fn manifest() -> Manifest {
        Manifest {
            egress_request_id: "r-1".into(),
            workspace_id: "ws-1".into(),
            project_id: "proj-1".into(),
            swb_object_metadata_version: "3".into(),
            created_at: "2026-10-20T14:03:09Z".into(),
            decisions: Vec::new(),
            files: Vec::new(),
        }
    }

    fn input(
        path: &str,
        content: &'static [u8],
    ) -> Result<ArchiveInput<&'static [u8]>, ArchiveError> {
        Ok(ArchiveInput {
            path: path.into(),
            source_key: format!("ws-1/{path}"),
            source_version_id: "v1".into(),
            expected_size: Some(content.len() as u64),
            reader: content,
        })
    }

    async fn build(
        dir: &Path,
        files: Vec<Result<ArchiveInput<&'static [u8]>, ArchiveError>>,
    ) -> Result<BuiltArchive, ArchiveError> {
        write_archive(
            &dir.join("egress_data.zip"),
            futures::stream::iter(files),
            manifest(),
            "egress_manifest_r-1.json",
            now(),
        )
        .await
    }

    /// Runs Python's zipfile on the archive: a real reader, independent of async_zip.
    fn python(script: &str, zip: &Path) -> String {
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(zip)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    fn names(zip: &Path) -> Vec<String> {
        let text = python(
            "import sys, zipfile, json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))",
            zip,
        );
        serde_json::from_str(&text).expect("a JSON list")
    }

    const READ_ENTRY: &str = "import sys, zipfile; \
        sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))";

    fn entry(zip: &Path, name: &str) -> Vec<u8> {
        let out = Command::new("python3")
            .args(["-c", READ_ENTRY])
            .arg(zip)
            .arg(name)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Info-ZIP's `unzip -t` checks every entry's CRC, when the tool is installed.
    fn unzip_test(zip: &Path) {
        match Command::new("unzip").arg("-tq").arg(zip).output() {
            Ok(out) => assert!(
                out.status.success(),
                "unzip -t failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(_) => eprintln!("unzip is not installed; relying on python's zipfile"),
        }
    }

    fn sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    #[tokio::test]
    async fn keeps_equal_file_names_in_different_folders() {
        let dir = tempfile::tempdir().unwrap();
        let built = build(
            dir.path(),
            vec![
                input("results/data.csv", b"a,b\n1,2\n"),
                input("raw/data.csv", b"x\n"),
            ],
        )
        .await
        .unwrap();
        let zip = dir.path().join("egress_data.zip");
        unzip_test(&zip);
        assert_eq!(
            names(&zip),
            [
                "results/data.csv",
                "raw/data.csv",
                "egress_manifest_r-1.json"
            ]
        );
        assert_eq!(entry(&zip, "results/data.csv"), b"a,b\n1,2\n");
        assert_eq!(entry(&zip, "raw/data.csv"), b"x\n");
        assert_eq!(built.file_count, 2);
    }

    #[tokio::test]
    async fn keeps_unicode_and_special_names() {
        let dir = tempfile::tempdir().unwrap();
        build(
            dir.path(),
            vec![
                input("日本/notes", b"n"),
                input("report final+v2 é.txt", b"r"),
                input("a%20b", b"p"),
            ],
        )
        .await
        .unwrap();
        let zip = dir.path().join("egress_data.zip");
        unzip_test(&zip);
        assert_eq!(
            names(&zip),
            [
                "日本/notes",
                "report final+v2 é.txt",
                "a%20b",
                "egress_manifest_r-1.json"
            ]
        );
        assert_eq!(entry(&zip, "日本/notes"), b"n");
    }

    #[tokio::test]
    async fn manifest_hashes_match_the_extracted_files() {
        let dir = tempfile::tempdir().unwrap();
        let built = build(
            dir.path(),
            vec![input("a.csv", b"1,2,3\n"), input("b/c.bin", b"\0\x01")],
        )
        .await
        .unwrap();
        let zip = dir.path().join("egress_data.zip");
        let written: serde_json::Value =
            serde_json::from_slice(&entry(&zip, "egress_manifest_r-1.json")).unwrap();
        let files = written["files"].as_array().unwrap();
        assert_eq!(files.len(), 2);
        for file in files {
            let path = file["path"].as_str().unwrap();
            let content = entry(&zip, path);
            assert_eq!(file["sha256"], sha256(&content), "{path}");
            assert_eq!(file["size"], content.len());
            assert_eq!(file["source_key"], format!("ws-1/{path}"));
            assert_eq!(file["source_version_id"], "v1");
        }
        assert_eq!(built.file_count, 2);
    }

    #[tokio::test]
    async fn archive_digest_is_that_of_the_file_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let built = build(dir.path(), vec![input("a.csv", b"1")]).await.unwrap();
        let on_disk = std::fs::read(dir.path().join("egress_data.zip")).unwrap();
        assert_eq!(built.digest.bytes, on_disk.len() as u64);
        assert_eq!(built.digest.sha256, sha256(&on_disk));
    }

    #[tokio::test]
    async fn stores_compressed_formats_and_deflates_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        build(
            dir.path(),
            vec![input("x.csv", b"aaaaaaaaaaaa"), input("y.gz", b"\x1f\x8b")],
        )
        .await
        .unwrap();
        let methods = python(
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             print(' '.join(str(i.compress_type) for i in z.infolist()))",
            &dir.path().join("egress_data.zip"),
        );
        // 8 is deflate, 0 is stored; the manifest is deflated.
        assert_eq!(methods.trim(), "8 0 8");
    }

    #[tokio::test]
    async fn extracted_files_are_readable_by_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        build(dir.path(), vec![input("a.csv", b"1")]).await.unwrap();
        let mode = python(
            "import sys, zipfile; \
             print(zipfile.ZipFile(sys.argv[1]).infolist()[0].external_attr >> 16)",
            &dir.path().join("egress_data.zip"),
        );
        assert_eq!(mode.trim().parse::<u32>().unwrap(), 0o100_644);
    }

    #[tokio::test]
    async fn refuses_entry_names_that_escape_the_extraction_folder() {
        for name in ["../x.csv", "/etc/passwd", "a/../../b", "a\\b"] {
            let dir = tempfile::tempdir().unwrap();
            let err = build(dir.path(), vec![input(name, b"1")])
                .await
                .unwrap_err();
            assert!(
                matches!(err, ArchiveError::UnsafeName { .. }),
                "{name}: {err}"
            );
        }
    }

    #[tokio::test]
    async fn refuses_a_file_named_like_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let err = build(dir.path(), vec![input("egress_manifest_r-1.json", b"{}")])
            .await
            .unwrap_err();
        assert!(matches!(err, ArchiveError::ManifestNameTaken(_)));
    }

    #[tokio::test]
    async fn refuses_content_shorter_than_announced() {
        let dir = tempfile::tempdir().unwrap();
        let mut short = input("a.csv", b"12");
        if let Ok(i) = short.as_mut() {
            i.expected_size = Some(3);
        }
        let err = build(dir.path(), vec![short]).await.unwrap_err();
        assert!(matches!(
            err,
            ArchiveError::Truncated {
                expected: 3,
                actual: 2,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn an_archive_of_no_files_holds_only_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let built = build(dir.path(), Vec::new()).await.unwrap();
        assert_eq!(
            names(&dir.path().join("egress_data.zip")),
            ["egress_manifest_r-1.json"]
        );
        assert_eq!(built.file_count, 0);
    }

    /// Slow (writes 4 GiB + 1 MiB): run with `cargo test -p egress zip64 -- --ignored`.
    #[tokio::test]
    #[ignore]
    async fn zip64_entries_over_four_gib_read_back() {
        const SIZE: u64 = (4 << 30) + (1 << 20);
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("big.zip");
        let mut writer = ArchiveWriter::create(&zip, now()).await.unwrap();
        let big = tokio::io::repeat(b'z').take(SIZE);
        // Stored, so the archive itself passes 4 GiB and the next entry's offset needs Zip64.
        let digest = writer
            .add("big.bin", Compression::Stored, big)
            .await
            .unwrap();
        writer
            .add("after.txt", Compression::Deflate, &b"after"[..])
            .await
            .unwrap();
        writer.finish().await.unwrap();
        assert_eq!(digest.bytes, SIZE);
        let sizes = python(
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             print(' '.join(str(i.file_size) for i in z.infolist())); \
             assert z.read('after.txt') == b'after'",
            &zip,
        );
        assert_eq!(sizes.trim(), format!("{SIZE} 5"));
        unzip_test(&zip);
    }
}
