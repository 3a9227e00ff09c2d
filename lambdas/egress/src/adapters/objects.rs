//! A thin S3 wrapper: the object reads, copies, listings, deletions and uploads the roles need.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder;
use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, MetadataDirective, ObjectIdentifier,
    ServerSideEncryption,
};
use aws_sdk_s3::Client;
use futures::stream::{self, StreamExt, TryStreamExt};
use percent_encoding::{
    percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS, NON_ALPHANUMERIC,
};

/// User metadata of a staged copy: the key it was copied from (percent-encoded).
pub const SOURCE_KEY_METADATA: &str = "source-key";
/// User metadata of a staged copy: the version it was copied from (percent-encoded).
pub const SOURCE_VERSION_METADATA: &str = "source-version-id";

/// S3 allows at most this many parts in one multipart upload.
const MAX_PARTS: u64 = 10_000;
/// Largest part S3 accepts.
const MAX_PART_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Keys per DeleteObjects call (S3's limit).
const DELETE_BATCH: usize = 1000;
/// Parts of one multipart copy in flight at a time.
const PART_COPY_CONCURRENCY: usize = 4;

/// Everything but RFC 3986 unreserved characters and `/` is escaped in a copy source key.
const KEY_IN_URL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
/// Everything but RFC 3986 unreserved characters is escaped in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Metadata travels as HTTP headers, which S3 requires to be ASCII: escape controls, non-ASCII,
/// spaces (which proxies may trim) and `%` itself, and keep the rest readable.
const METADATA_VALUE: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

/// The `CopySource` of one object version: `bucket/` + encoded key + `?versionId=` + encoded id.
/// The SDK sends this value as is, so it must be encoded here.
pub fn copy_source(bucket: &str, key: &str, version_id: &str) -> String {
    format!(
        "{bucket}/{}?versionId={}",
        utf8_percent_encode(key, KEY_IN_URL),
        utf8_percent_encode(version_id, QUERY_VALUE)
    )
}

/// Encodes a value so it can be stored as S3 user metadata (ASCII only).
pub fn encode_metadata(value: &str) -> String {
    utf8_percent_encode(value, METADATA_VALUE).to_string()
}

/// Decodes a value written by [`encode_metadata`]; `None` if it is not valid UTF-8 once decoded.
pub fn decode_metadata(value: &str) -> Option<String> {
    percent_decode_str(value)
        .decode_utf8()
        .ok()
        .map(|v| v.into_owned())
}

/// A failed S3 operation, with the SDK error kept as its source.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// An S3 call failed.
    #[error("s3 {operation} of `{bucket}/{key}` failed")]
    Call {
        /// The operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// S3's error code, if it sent one.
        code: Option<String>,
        /// Worth retrying.
        transient: bool,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// S3 answered without a field the operation needs.
    #[error("s3 {operation} of `{bucket}/{key}` answered without {missing}")]
    Incomplete {
        /// The operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key or prefix.
        key: String,
        /// The missing field.
        missing: &'static str,
    },
    /// DeleteObjects reported keys it could not delete.
    #[error("s3 DeleteObjects in `{bucket}` left {count} keys, the first `{key}` with `{code}`")]
    NotDeleted {
        /// The bucket.
        bucket: String,
        /// How many keys were not deleted.
        count: usize,
        /// The first of them.
        key: String,
        /// Its error code.
        code: String,
    },
    /// An object is bigger than the caller allows in memory.
    #[error("object `{bucket}/{key}` is {size} bytes, more than the {limit} bytes allowed")]
    TooLarge {
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A request could not be built or a body could not be read.
    #[error("s3 {operation} of `{bucket}/{key}`: cannot prepare or read the data")]
    Data {
        /// The operation.
        operation: &'static str,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// Worth retrying (a body cut off by the network is).
        transient: bool,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A local file could not be read for an upload.
    #[error("cannot read the local file `{path}`")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ObjectError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        match self {
            ObjectError::Call { transient, .. } | ObjectError::Data { transient, .. } => *transient,
            ObjectError::NotDeleted { code, .. } => transient_code(code),
            _ => false,
        }
    }

    /// Whether the object or version does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("NoSuchKey" | "NoSuchVersion" | "NotFound")
        )
    }

    /// S3's error code, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ObjectError::Call { code, .. } => code.as_deref(),
            ObjectError::NotDeleted { code, .. } => Some(code),
            _ => None,
        }
    }
}

fn transient_code(code: &str) -> bool {
    matches!(
        code,
        "InternalError" | "SlowDown" | "ServiceUnavailable" | "RequestTimeout"
    )
}

fn call_error<E, R>(
    operation: &'static str,
    bucket: &str,
    key: &str,
    err: SdkError<E, R>,
) -> ObjectError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let code = match &err {
        SdkError::ServiceError(service) => service.err().code().map(str::to_owned),
        _ => None,
    };
    ObjectError::Call {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        code,
        transient: super::is_transient(&err),
        source: Box::new(err),
    }
}

fn data_error(
    operation: &'static str,
    bucket: &str,
    key: &str,
    transient: bool,
    source: impl std::error::Error + Send + Sync + 'static,
) -> ObjectError {
    ObjectError::Data {
        operation,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        transient,
        source: Box::new(source),
    }
}

fn size_of(length: Option<i64>) -> Option<u64> {
    length.and_then(|n| u64::try_from(n).ok())
}

/// One object version to copy, and where to.
#[derive(Debug, Clone)]
pub struct VersionCopy<'a> {
    /// Source bucket (SWB's egress store bucket).
    pub source_bucket: &'a str,
    /// Source key.
    pub source_key: &'a str,
    /// The version to copy.
    pub version_id: &'a str,
    /// Size as listed; decides between a single and a multipart copy.
    pub listed_size: u64,
    /// Target bucket.
    pub target_bucket: &'a str,
    /// Target key.
    pub target_key: &'a str,
    /// KMS key of the copy; `None` leaves the bucket default.
    pub kms_key_arn: Option<&'a str>,
    /// User metadata of the copy (replaces the source's).
    pub metadata: &'a HashMap<String, String>,
}

/// When and how to split transfers into parts.
#[derive(Debug, Clone, Copy)]
pub struct PartSizes {
    /// Objects larger than this are copied part by part.
    pub multipart_threshold_bytes: u64,
    /// Preferred part size; raised when an object would need more than 10,000 parts.
    pub part_size_bytes: u64,
}

impl PartSizes {
    fn part_size_for(&self, size: u64) -> u64 {
        self.part_size_bytes
            .max(size.div_ceil(MAX_PARTS))
            .clamp(1, MAX_PART_BYTES)
    }
}

/// What HeadObject says about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectHead {
    /// Content length.
    pub size: u64,
    /// `x-amz-server-side-encryption`, e.g. `aws:kms`.
    pub server_side_encryption: Option<String>,
    /// The KMS key ARN, when encrypted with KMS.
    pub kms_key_id: Option<String>,
    /// The version, in a versioned bucket.
    pub version_id: Option<String>,
    /// User metadata, as stored.
    pub metadata: HashMap<String, String>,
}

/// One key found under a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    /// The key.
    pub key: String,
    /// Its size.
    pub size: u64,
}

/// An object's body, not yet read, with what came in the response headers.
#[derive(Debug)]
pub struct ObjectBody {
    /// Content length.
    pub size: u64,
    /// User metadata, as stored.
    pub metadata: HashMap<String, String>,
    body: ByteStream,
}

impl ObjectBody {
    /// The body as a reader that pulls from the network as it is read.
    pub fn into_reader(self) -> impl tokio::io::AsyncBufRead + Send + Sync + Unpin {
        Box::pin(self.body.into_async_read())
    }
}

/// S3, as the roles use it.
#[derive(Clone, Debug)]
pub struct ObjectStore {
    client: Client,
}

impl ObjectStore {
    /// A store over `client`.
    pub fn new(client: Client) -> Self {
        ObjectStore { client }
    }

    /// Reads a small object whole; refuses one larger than `limit` bytes.
    pub async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
        limit: u64,
    ) -> Result<Vec<u8>, ObjectError> {
        let body = self.get_object(bucket, key).await?;
        if body.size > limit {
            return Err(ObjectError::TooLarge {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                size: body.size,
                limit,
            });
        }
        let bytes = body
            .body
            .collect()
            .await
            .map_err(|e| data_error("GetObject", bucket, key, true, e))?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// Opens an object's body for streaming.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<ObjectBody, ObjectError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| call_error("GetObject", bucket, key, e))?;
        Ok(ObjectBody {
            size: size_of(out.content_length).unwrap_or_default(),
            metadata: out.metadata.unwrap_or_default(),
            body: out.body,
        })
    }

    /// Reads an object's headers; `None` if it does not exist.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<Option<ObjectHead>, ObjectError> {
        let out = match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(err) => {
                let err = call_error("HeadObject", bucket, key, err);
                return if err.is_not_found() {
                    Ok(None)
                } else {
                    Err(err)
                };
            }
        };
        let size = size_of(out.content_length).ok_or_else(|| ObjectError::Incomplete {
            operation: "HeadObject",
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            missing: "a content length",
        })?;
        Ok(Some(ObjectHead {
            size,
            server_side_encryption: out.server_side_encryption.map(|s| s.as_str().to_owned()),
            kms_key_id: out.ssekms_key_id,
            version_id: out.version_id,
            metadata: out.metadata.unwrap_or_default(),
        }))
    }

    /// Copies one object version: a single CopyObject up to the threshold, part by part above it.
    /// The copy gets the given metadata and, if a key is given, SSE-KMS with that key.
    pub async fn copy_version(
        &self,
        copy: &VersionCopy<'_>,
        sizes: PartSizes,
    ) -> Result<(), ObjectError> {
        if copy.listed_size <= sizes.multipart_threshold_bytes {
            self.copy_single(copy).await
        } else {
            self.copy_multipart(copy, sizes).await
        }
    }

    async fn copy_single(&self, copy: &VersionCopy<'_>) -> Result<(), ObjectError> {
        let mut request = self
            .client
            .copy_object()
            .copy_source(copy_source(
                copy.source_bucket,
                copy.source_key,
                copy.version_id,
            ))
            .bucket(copy.target_bucket)
            .key(copy.target_key)
            .metadata_directive(MetadataDirective::Replace)
            .set_metadata(Some(copy.metadata.clone()));
        if let Some(kms) = copy.kms_key_arn {
            request = request
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        request
            .send()
            .await
            .map_err(|e| call_error("CopyObject", copy.source_bucket, copy.source_key, e))?;
        Ok(())
    }

    async fn copy_multipart(
        &self,
        copy: &VersionCopy<'_>,
        sizes: PartSizes,
    ) -> Result<(), ObjectError> {
        // The listed size picked this path; the parts follow the version's real size.
        let head = self
            .client
            .head_object()
            .bucket(copy.source_bucket)
            .key(copy.source_key)
            .version_id(copy.version_id)
            .send()
            .await
            .map_err(|e| call_error("HeadObject", copy.source_bucket, copy.source_key, e))?;
        let size = size_of(head.content_length).ok_or_else(|| ObjectError::Incomplete {
            operation: "HeadObject",
            bucket: copy.source_bucket.to_owned(),
            key: copy.source_key.to_owned(),
            missing: "a content length",
        })?;
        let mut create = self
            .client
            .create_multipart_upload()
            .bucket(copy.target_bucket)
            .key(copy.target_key)
            .set_metadata(Some(copy.metadata.clone()));
        if let Some(kms) = copy.kms_key_arn {
            create = create
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(kms);
        }
        let upload_id = self
            .start_upload(create, copy.target_bucket, copy.target_key)
            .await?;
        let source = copy_source(copy.source_bucket, copy.source_key, copy.version_id);
        let part_size = sizes.part_size_for(size);
        let ranges: Vec<(i32, u64, u64)> = part_ranges(size, part_size);
        let parts = stream::iter(ranges.into_iter().map(|(number, start, end)| {
            let source = &source;
            let upload_id = &upload_id;
            async move {
                let out = self
                    .client
                    .upload_part_copy()
                    .bucket(copy.target_bucket)
                    .key(copy.target_key)
                    .upload_id(upload_id)
                    .part_number(number)
                    .copy_source(source)
                    .copy_source_range(format!("bytes={start}-{end}"))
                    .send()
                    .await
                    .map_err(|e| {
                        call_error("UploadPartCopy", copy.source_bucket, copy.source_key, e)
                    })?;
                let e_tag = out.copy_part_result.and_then(|r| r.e_tag).ok_or_else(|| {
                    ObjectError::Incomplete {
                        operation: "UploadPartCopy",
                        bucket: copy.target_bucket.to_owned(),
                        key: copy.target_key.to_owned(),
                        missing: "an ETag",
                    }
                })?;
                Ok::<_, ObjectError>(
                    CompletedPart::builder()
                        .part_number(number)
                        .e_tag(e_tag)
                        .build(),
                )
            }
        }))
        .buffered(PART_COPY_CONCURRENCY)
        .try_collect::<Vec<_>>()
        .await;
        let result = match parts {
            Ok(parts) => {
                self.complete_upload(copy.target_bucket, copy.target_key, &upload_id, parts)
                    .await
            }
            Err(err) => Err(err),
        };
        if result.is_err() {
            self.abort_upload(copy.target_bucket, copy.target_key, &upload_id)
                .await;
        }
        result
    }

    async fn start_upload(
        &self,
        create: CreateMultipartUploadFluentBuilder,
        bucket: &str,
        key: &str,
    ) -> Result<String, ObjectError> {
        create
            .send()
            .await
            .map_err(|e| call_error("CreateMultipartUpload", bucket, key, e))?
            .upload_id
            .ok_or_else(|| ObjectError::Incomplete {
                operation: "CreateMultipartUpload",
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                missing: "an upload id",
            })
    }

    async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> Result<(), ObjectError> {
        self.client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| call_error("CompleteMultipartUpload", bucket, key, e))?;
        Ok(())
    }

    /// Best effort: a failed abort leaves parts that the bucket's lifecycle rule removes.
    async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) {
        if let Err(err) = self
            .client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            let err = call_error("AbortMultipartUpload", bucket, key, err);
            tracing::warn!(
                bucket,
                error = %crate::error::chain(&err),
                "cannot abort a failed multipart upload"
            );
        }
    }

    /// Every key under `prefix`, following the listing's pages.
    pub async fn list_keys(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<ListedKey>, ObjectError> {
        let mut keys = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| call_error("ListObjectsV2", bucket, prefix, e))?;
            keys.extend(
                out.contents
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|object| {
                        Some(ListedKey {
                            size: size_of(object.size).unwrap_or_default(),
                            key: object.key?,
                        })
                    }),
            );
            if !out.is_truncated.unwrap_or(false) {
                break;
            }
            token = Some(
                out.next_continuation_token
                    .ok_or_else(|| ObjectError::Incomplete {
                        operation: "ListObjectsV2",
                        bucket: bucket.to_owned(),
                        key: prefix.to_owned(),
                        missing: "a continuation token on a truncated page",
                    })?,
            );
        }
        Ok(keys)
    }

    /// Deletes every key under `prefix`; returns how many were deleted. Nothing there is not an
    /// error.
    pub async fn delete_prefix(&self, bucket: &str, prefix: &str) -> Result<usize, ObjectError> {
        let keys = self.list_keys(bucket, prefix).await?;
        let mut deleted = 0;
        for batch in keys.chunks(DELETE_BATCH) {
            let objects = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(&k.key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| data_error("DeleteObjects", bucket, prefix, false, e))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| data_error("DeleteObjects", bucket, prefix, false, e))?;
            let out = self
                .client
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| call_error("DeleteObjects", bucket, prefix, e))?;
            let errors = out.errors();
            if let Some(first) = errors.first() {
                return Err(ObjectError::NotDeleted {
                    bucket: bucket.to_owned(),
                    count: errors.len(),
                    key: first.key().unwrap_or_default().to_owned(),
                    code: first.code().unwrap_or("unknown").to_owned(),
                });
            }
            deleted += batch.len();
        }
        Ok(deleted)
    }

    /// Uploads a local file part by part with SSE-KMS, aborting the upload on any failure.
    /// Parts are streamed from the file, so memory does not grow with the part size.
    pub async fn upload_file(
        &self,
        path: &Path,
        target: &FileUpload<'_>,
    ) -> Result<(), ObjectError> {
        let size = tokio::fs::metadata(path)
            .await
            .map_err(|e| ObjectError::File {
                path: path.to_owned(),
                source: Box::new(e),
            })?
            .len();
        let create = self
            .client
            .create_multipart_upload()
            .bucket(target.bucket)
            .key(target.key)
            .content_type("application/zip")
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(target.kms_key_arn)
            .set_metadata(Some(target.metadata.clone()));
        let upload_id = self.start_upload(create, target.bucket, target.key).await?;
        let sizes = PartSizes {
            multipart_threshold_bytes: 0,
            part_size_bytes: target.part_size_bytes,
        };
        let result = self
            .upload_parts(path, size, sizes.part_size_for(size), target, &upload_id)
            .await;
        let result = match result {
            Ok(parts) => {
                self.complete_upload(target.bucket, target.key, &upload_id, parts)
                    .await
            }
            Err(err) => Err(err),
        };
        if result.is_err() {
            self.abort_upload(target.bucket, target.key, &upload_id)
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        path: &Path,
        size: u64,
        part_size: u64,
        target: &FileUpload<'_>,
        upload_id: &str,
    ) -> Result<Vec<CompletedPart>, ObjectError> {
        let mut parts = Vec::new();
        // An empty file still needs one (empty) part.
        let ranges = if size == 0 {
            vec![(1, 0, 0)]
        } else {
            part_ranges(size, part_size)
        };
        for (number, start, end) in ranges {
            let length = if size == 0 { 0 } else { end - start + 1 };
            let body = ByteStream::read_from()
                .path(path)
                .offset(start)
                .length(Length::Exact(length))
                .build()
                .await
                .map_err(|e| ObjectError::File {
                    path: path.to_owned(),
                    source: Box::new(e),
                })?;
            let out = self
                .client
                .upload_part()
                .bucket(target.bucket)
                .key(target.key)
                .upload_id(upload_id)
                .part_number(number)
                .body(body)
                .send()
                .await
                .map_err(|e| call_error("UploadPart", target.bucket, target.key, e))?;
            let e_tag = out.e_tag.ok_or_else(|| ObjectError::Incomplete {
                operation: "UploadPart",
                bucket: target.bucket.to_owned(),
                key: target.key.to_owned(),
                missing: "an ETag",
            })?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(e_tag)
                    .build(),
            );
        }
        Ok(parts)
    }
}

/// Where a local file is uploaded to.
#[derive(Debug, Clone)]
pub struct FileUpload<'a> {
    /// Target bucket.
    pub bucket: &'a str,
    /// Target key.
    pub key: &'a str,
    /// KMS key of the object.
    pub kms_key_arn: &'a str,
    /// Preferred part size; raised when the file would need more than 10,000 parts.
    pub part_size_bytes: u64,
    /// User metadata of the object.
    pub metadata: HashMap<String, String>,
}

/// `(part number, first byte, last byte)` of each part of an object of `size` bytes.
fn part_ranges(size: u64, part_size: u64) -> Vec<(i32, u64, u64)> {
    let part_size = part_size.max(1);
    (0..size.div_ceil(part_size))
        .map(|i| {
            let start = i * part_size;
            let end = (start + part_size).min(size) - 1;
            // At most 10,000 parts by construction of the part size.
            (i32::try_from(i + 1).unwrap_or(i32::MAX), start, end)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_source_encodes_spaces_plus_and_unicode_but_keeps_slashes() {
        assert_eq!(
            copy_source("store", "ws/a b/c+d é 日本.txt", "3HL4k+rm/Sp="),
            "store/ws/a%20b/c%2Bd%20%C3%A9%20%E6%97%A5%E6%9C%AC.txt?versionId=3HL4k%2Brm%2FSp%3D"
        );
    }

    #[test]
    fn copy_source_escapes_query_and_fragment_characters_in_keys() {
        assert_eq!(
            copy_source("b", "x?y#z&w%", "v"),
            "b/x%3Fy%23z%26w%25?versionId=v"
        );
    }

    #[test]
    fn metadata_round_trips_unicode_spaces_and_percent_as_ascii() {
        for key in [
            "ws/a b/c+d é 日本.txt",
            "100% done.csv",
            "plain/key.csv",
            " lead",
            "tab\there",
        ] {
            let encoded = encode_metadata(key);
            assert!(encoded.is_ascii(), "{encoded}");
            assert!(!encoded.contains(' '), "{encoded}");
            assert_eq!(decode_metadata(&encoded).as_deref(), Some(key));
        }
        assert_eq!(encode_metadata("ws/a+b.csv"), "ws/a+b.csv");
    }

    #[test]
    fn parts_cover_the_object_exactly() {
        assert_eq!(part_ranges(10, 4), [(1, 0, 3), (2, 4, 7), (3, 8, 9)]);
        assert_eq!(part_ranges(8, 4), [(1, 0, 3), (2, 4, 7)]);
        assert!(part_ranges(0, 4).is_empty());
    }

    #[test]
    fn part_size_grows_to_stay_within_ten_thousand_parts() {
        let sizes = PartSizes {
            multipart_threshold_bytes: 0,
            part_size_bytes: 5 * 1024 * 1024,
        };
        let size = 100 * 1024 * 1024 * 1024;
        let part = sizes.part_size_for(size);
        assert!(size.div_ceil(part) <= MAX_PARTS);
        assert_eq!(sizes.part_size_for(1024), 5 * 1024 * 1024);
    }

    #[test]
    fn not_found_codes_are_recognised() {
        let err = |code: &str| ObjectError::Call {
            operation: "CopyObject",
            bucket: "b".into(),
            key: "k".into(),
            code: Some(code.into()),
            transient: false,
            source: "x".into(),
        };
        assert!(err("NoSuchKey").is_not_found());
        assert!(err("NoSuchVersion").is_not_found());
        assert!(!err("AccessDenied").is_not_found());
    }

    mod mocked {
        use super::super::*;
        use aws_sdk_s3::operation::copy_object::CopyObjectOutput;
        use aws_sdk_s3::operation::delete_objects::DeleteObjectsOutput;
        use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output;
        use aws_sdk_s3::types::{Error as S3KeyError, Object};
        use aws_smithy_mocks::{
            create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
        };

        fn store(rules: &[&Rule]) -> ObjectStore {
            use aws_sdk_s3::config::{retry::RetryConfig, BehaviorVersion, Credentials, Region};
            let interceptor = rules.iter().fold(
                MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
                |i, r| i.with_rule(r),
            );
            ObjectStore::new(Client::from_conf(
                aws_sdk_s3::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::from_static("eu-west-2"))
                    .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "t"))
                    .retry_config(RetryConfig::disabled())
                    .http_client(create_mock_http_client())
                    .interceptor(interceptor)
                    .build(),
            ))
        }

        fn page(keys: &[&str], next: Option<&str>) -> ListObjectsV2Output {
            keys.iter()
                .fold(ListObjectsV2Output::builder(), |b, k| {
                    b.contents(Object::builder().key(*k).size(1).build())
                })
                .is_truncated(next.is_some())
                .set_next_continuation_token(next.map(str::to_owned))
                .build()
        }

        #[tokio::test]
        async fn lists_every_page_under_the_prefix() {
            let first = mock!(Client::list_objects_v2)
                .match_requests(|r| r.continuation_token().is_none())
                .then_output(|| page(&["ws/r/a", "ws/r/b"], Some("t1")));
            let second = mock!(Client::list_objects_v2)
                .match_requests(|r| r.continuation_token() == Some("t1"))
                .then_output(|| page(&["ws/r/c"], None));
            let keys = store(&[&first, &second])
                .list_keys("staging", "ws/r/")
                .await
                .unwrap();
            let keys: Vec<_> = keys.iter().map(|k| k.key.as_str()).collect();
            assert_eq!(keys, ["ws/r/a", "ws/r/b", "ws/r/c"]);
        }

        #[tokio::test]
        async fn truncated_page_without_a_token_is_an_error_not_a_panic() {
            let broken = mock!(Client::list_objects_v2)
                .then_output(|| ListObjectsV2Output::builder().is_truncated(true).build());
            let err = store(&[&broken])
                .list_keys("staging", "ws/r/")
                .await
                .unwrap_err();
            assert!(matches!(err, ObjectError::Incomplete { .. }), "{err}");
        }

        #[tokio::test]
        async fn deleting_an_empty_prefix_deletes_nothing() {
            let empty = mock!(Client::list_objects_v2).then_output(|| page(&[], None));
            assert_eq!(
                store(&[&empty])
                    .delete_prefix("staging", "ws/r/")
                    .await
                    .unwrap(),
                0
            );
        }

        #[tokio::test]
        async fn reports_keys_that_delete_objects_left_behind() {
            let list =
                mock!(Client::list_objects_v2).then_output(|| page(&["ws/r/a", "ws/r/b"], None));
            let delete = mock!(Client::delete_objects).then_output(|| {
                DeleteObjectsOutput::builder()
                    .errors(
                        S3KeyError::builder()
                            .key("ws/r/b")
                            .code("AccessDenied")
                            .build(),
                    )
                    .build()
            });
            let err = store(&[&list, &delete])
                .delete_prefix("staging", "ws/r/")
                .await
                .unwrap_err();
            assert!(
                matches!(err, ObjectError::NotDeleted { count: 1, .. }),
                "{err}"
            );
            assert!(err.to_string().contains("`ws/r/b`"), "{err}");
            assert!(!err.is_transient());
        }

        #[tokio::test]
        async fn single_copy_sends_encoded_source_metadata_and_kms() {
            let copy = mock!(Client::copy_object)
                .match_requests(|r| {
                    r.copy_source() == Some("store/ws/a%20b/c%2Bd.txt?versionId=v%2B1")
                        && r.metadata_directive() == Some(&MetadataDirective::Replace)
                        && r.server_side_encryption() == Some(&ServerSideEncryption::AwsKms)
                        && r.ssekms_key_id() == Some("arn:aws:kms:eu-west-2:1:key/k")
                        && r.metadata()
                            .and_then(|m| m.get("source-key"))
                            .map(String::as_str)
                            == Some("ws/a%20b/c+d.txt")
                })
                .then_output(|| CopyObjectOutput::builder().build());
            let metadata =
                HashMap::from([("source-key".to_owned(), encode_metadata("ws/a b/c+d.txt"))]);
            let request = VersionCopy {
                source_bucket: "store",
                source_key: "ws/a b/c+d.txt",
                version_id: "v+1",
                listed_size: 10,
                target_bucket: "staging",
                target_key: "ws/r/a b/c+d.txt",
                kms_key_arn: Some("arn:aws:kms:eu-west-2:1:key/k"),
                metadata: &metadata,
            };
            let sizes = PartSizes {
                multipart_threshold_bytes: 100,
                part_size_bytes: 5 << 20,
            };
            store(&[&copy]).copy_version(&request, sizes).await.unwrap();
            assert_eq!(copy.num_calls(), 1);
        }
    }
}
