//! The three API operations, for a verified caller: list requests, decide a stage, download.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use aws_sdk_s3::presigning::PresigningConfig;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::types::{DownloadDataInput, PresignPayload, Request, UpdateRequestInput};
use crate::adapters::requests::{RequestRecord, RequestStore, StoreError};
use crate::adapters::workflow::{WorkflowClient, WorkflowError};
use crate::adapters::Clients;
use crate::config::ApiSettings;
use crate::domain::review::{self, Caller, Decision, ReviewError, StageInput, Verdict};
use crate::error::chain;

/// File name the browser saves the approved archive as.
const DOWNLOAD_FILE_NAME: &str = "egress_data.zip";

/// The server's clock; decisions are stamped with it, never with the client's time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// An internal failure behind an [`ApiError::Internal`]; logged in full, never shown.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// The requests table failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Step Functions failed.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The download link could not be made.
    #[error("cannot presign the download of `{key}`")]
    Presign {
        /// The archive key.
        key: String,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A stored item lacks something the workflow always writes.
    #[error("egress request `{id}` has no `{attribute}` attribute")]
    Corrupt {
        /// The request.
        id: String,
        /// The missing attribute.
        attribute: &'static str,
    },
    /// The server clock is out of the formattable range.
    #[error("cannot format the server time")]
    Clock(#[source] time::error::Format),
}

/// Why an operation failed. Its `Display` is what the caller sees: rule violations verbatim,
/// internal failures as a generic message with a reference to the error log.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request carries no verified identity.
    #[error("you are not signed in")]
    Unauthenticated,
    /// A review rule refused the operation.
    #[error(transparent)]
    Review(#[from] ReviewError),
    /// The waiting task of the workflow is gone (timed out or ended): the decision came too late.
    #[error("the review of egress request `{0}` has closed (timed out or ended); reload the request list")]
    ReviewClosed(String),
    /// Step Functions failed transiently; the decision was undone and may be sent again.
    #[error("the workflow could not take the decision on egress request `{id}` just now; nothing was changed, try again")]
    Unavailable {
        /// The request.
        id: String,
        /// The failure.
        #[source]
        source: WorkflowError,
    },
    /// Anything else; the details are in the error log under `reference`.
    #[error("internal error; {outcome} (reference `{reference}`)")]
    Internal {
        /// Correlation id logged with the full error chain.
        reference: String,
        /// What the caller can rely on.
        outcome: &'static str,
        /// The failure.
        #[source]
        source: InternalError,
    },
}

impl ApiError {
    /// The error type reported to AppSync and in GraphQL error extensions.
    pub fn error_type(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "Unauthorized",
            ApiError::Review(err) => match err {
                ReviewError::NotAReviewer
                | ReviewError::WrongGroup { .. }
                | ReviewError::OwnRequest(_)
                | ReviewError::SameReviewer(_)
                | ReviewError::NotADownloader(_) => "Forbidden",
                ReviewError::UnknownRequest(_) => "NotFound",
                ReviewError::NotWaiting { .. }
                | ReviewError::StaleHandle(_)
                | ReviewError::AlreadyDecided(_)
                | ReviewError::NotDownloadable { .. }
                | ReviewError::DownloadLimit { .. } => "Conflict",
                ReviewError::InvalidDecision(_)
                | ReviewError::WrongWorkspace(_)
                | ReviewError::InvalidRequestId => "InvalidInput",
            },
            ApiError::ReviewClosed(_) => "Conflict",
            ApiError::Unavailable { .. } => "Transient",
            ApiError::Internal { .. } => "Internal",
        }
    }

    /// Logs the full chain under a fresh reference and hides it from the caller.
    fn internal(outcome: &'static str, source: impl Into<InternalError>) -> Self {
        let source = source.into();
        let reference = uuid::Uuid::new_v4().to_string();
        tracing::error!(reference = %reference, error = %chain(&source), "api operation failed");
        ApiError::Internal {
            reference,
            outcome,
            source,
        }
    }
}

const UNCHANGED: &str = "the request was not changed";
const NOTHING_READ: &str = "no request was read";
const RECORDED_NOT_RESUMED: &str =
    "the decision is recorded but the workflow did not take it; an operator must look at it";

/// The API operations over the requests table, the datalake bucket and the workflow.
#[derive(Clone)]
pub struct ApiService {
    store: RequestStore,
    s3: aws_sdk_s3::Client,
    workflow: WorkflowClient,
    settings: ApiSettings,
    clock: Clock,
}

impl fmt::Debug for ApiService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl ApiService {
    /// The service over the shared clients, with the system clock.
    pub fn new(clients: &Clients, settings: ApiSettings) -> Self {
        ApiService {
            store: RequestStore::new(clients.dynamodb.clone(), settings.requests_table.clone()),
            s3: clients.s3.clone(),
            workflow: WorkflowClient::new(clients.sfn.clone()),
            settings,
            clock: Arc::new(OffsetDateTime::now_utc),
        }
    }

    fn require_reviewer(&self, caller: &Caller) -> Result<(), ApiError> {
        let groups = &self.settings.reviewer_groups;
        if caller.is_in(&groups.first) || caller.is_in(&groups.second) {
            Ok(())
        } else {
            Err(ReviewError::NotAReviewer.into())
        }
    }

    async fn load(&self, id: &str) -> Result<RequestRecord, ApiError> {
        if !crate::domain::objects::is_safe_id(id) {
            return Err(ReviewError::InvalidRequestId.into());
        }
        self.store
            .get(id)
            .await
            .map_err(|e| ApiError::internal(UNCHANGED, e))?
            .ok_or_else(|| ReviewError::UnknownRequest(id.to_owned()).into())
    }

    /// Every request, newest first. Items lacking a field the workflow always writes are
    /// logged and left out rather than failing the whole list.
    pub async fn list_requests(&self, caller: &Caller) -> Result<Vec<Request>, ApiError> {
        self.require_reviewer(caller)?;
        let records = self
            .store
            .list()
            .await
            .map_err(|e| ApiError::internal(NOTHING_READ, e))?;
        let mut requests: Vec<Request> = records
            .iter()
            .filter_map(|record| match to_request(record, caller, &self.settings) {
                Ok(request) => Some(request),
                Err(attribute) => {
                    tracing::warn!(
                        egress_request_id = %record.id(),
                        attribute,
                        "request item lacks a required attribute; left out of the list"
                    );
                    None
                }
            })
            .collect();
        requests.sort_by(newest_first);
        tracing::info!(count = requests.len(), subject = %caller.subject, "requests listed");
        Ok(requests)
    }

    /// Records the caller's decision on the waiting stage and resumes the workflow. Returns a
    /// success message.
    pub async fn update_request(
        &self,
        caller: &Caller,
        input: &UpdateRequestInput,
    ) -> Result<String, ApiError> {
        self.require_reviewer(caller)?;
        let id = input.egress_request_id.as_str();
        let handle = input.task_token.as_str();
        let groups = &self.settings.reviewer_groups;
        let stage_input = StageInput {
            first_decision: input.ig_reviewer_1_decision.clone(),
            first_reason: input.ig_reviewer_1_reason.clone(),
            second_decision: input.rit_reviewer_2_decision.clone(),
            second_reason: input.rit_reviewer_2_reason.clone(),
        };
        let record = self.load(id).await?;
        let decision = review::decide(
            id,
            &record.review_state(),
            handle,
            &stage_input,
            caller,
            groups,
        )?;
        let token = record.task_token().ok_or_else(|| {
            ApiError::internal(
                UNCHANGED,
                InternalError::Corrupt {
                    id: id.into(),
                    attribute: "sfn_task_token",
                },
            )
        })?;
        let group = groups
            .of_stage(decision.stage)
            .unwrap_or_default()
            .to_owned();
        let now = (self.clock)()
            .format(&Rfc3339)
            .map_err(|e| ApiError::internal(UNCHANGED, InternalError::Clock(e)))?;

        match self
            .store
            .record_decision(id, handle, &decision, caller, &now)
            .await
        {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                return Err(self
                    .explain_lost_race(id, handle, &stage_input, caller, decision.stage)
                    .await)
            }
            Err(err) => return Err(ApiError::internal(UNCHANGED, err)),
        }

        let output = json!({
            "decision": decision.verdict.as_str(),
            "stage": decision.stage,
            "reviewer_group": group,
        });
        if let Err(err) = self.workflow.send_task_success(&token, &output).await {
            return Err(self
                .undo_decision(id, handle, &decision, caller, &group, err)
                .await);
        }
        let verdict = match decision.verdict {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        };
        tracing::info!(
            egress_request_id = id,
            stage = decision.stage,
            decision = decision.verdict.as_str(),
            subject = %caller.subject,
            "decision recorded and handed to the workflow"
        );
        Ok(format!(
            "egress request `{id}` {verdict} at stage {}",
            decision.stage
        ))
    }

    /// The conditional write lost: someone else decided the stage first, or the fresh item
    /// tells precisely why not (the request expired or failed, the handle changed).
    async fn explain_lost_race(
        &self,
        id: &str,
        handle: &str,
        input: &StageInput,
        caller: &Caller,
        stage: u8,
    ) -> ApiError {
        let fresh = match self.store.get(id).await {
            Ok(Some(record)) => record,
            Ok(None) => return ReviewError::UnknownRequest(id.to_owned()).into(),
            Err(err) => {
                tracing::warn!(
                    egress_request_id = id,
                    error = %chain(&err),
                    "cannot re-read the request after a lost decision race"
                );
                return ReviewError::AlreadyDecided(id.to_owned()).into();
            }
        };
        if fresh.decisions().iter().any(|d| d.stage == stage) {
            return ReviewError::AlreadyDecided(id.to_owned()).into();
        }
        let groups = &self.settings.reviewer_groups;
        match review::decide(id, &fresh.review_state(), handle, input, caller, groups) {
            Err(err) => err.into(),
            Ok(_) => ReviewError::AlreadyDecided(id.to_owned()).into(),
        }
    }

    /// The workflow did not take the decision: undo it unless the task is gone for good.
    async fn undo_decision(
        &self,
        id: &str,
        handle: &str,
        decision: &Decision,
        caller: &Caller,
        group: &str,
        err: WorkflowError,
    ) -> ApiError {
        if err.is_stale_token() {
            tracing::warn!(
                egress_request_id = id,
                error = %chain(&err),
                "decision came after the review task closed"
            );
            return ApiError::ReviewClosed(id.to_owned());
        }
        if let Err(revert) = self
            .store
            .revert_decision(id, handle, decision, caller, group)
            .await
        {
            tracing::error!(
                egress_request_id = id,
                error = %chain(&revert),
                "cannot undo a decision the workflow did not take"
            );
            return ApiError::internal(RECORDED_NOT_RESUMED, err);
        }
        if err.is_transient() {
            tracing::warn!(
                egress_request_id = id,
                error = %chain(&err),
                "workflow busy; decision undone"
            );
            return ApiError::Unavailable {
                id: id.to_owned(),
                source: err,
            };
        }
        ApiError::internal(UNCHANGED, err)
    }

    /// Counts one download of the approved archive and returns a short-lived link to it.
    pub async fn download_data(
        &self,
        caller: &Caller,
        input: &DownloadDataInput,
    ) -> Result<PresignPayload, ApiError> {
        self.require_reviewer(caller)?;
        let id = input.egress_request_id.as_str();
        let record = self.load(id).await?;
        if record.text("workspace_id").as_deref() != Some(input.workspace_id.as_str()) {
            return Err(ReviewError::WrongWorkspace(id.to_owned()).into());
        }
        review::may_download(
            id,
            &record.review_state(),
            caller,
            &self.settings.reviewer_groups,
        )?;
        let key = record.text("archive_key").ok_or_else(|| {
            ApiError::internal(
                UNCHANGED,
                InternalError::Corrupt {
                    id: id.into(),
                    attribute: "archive_key",
                },
            )
        })?;
        let max = self.settings.max_downloads;
        let count = match self.store.count_download(id, max).await {
            Ok(count) => count,
            Err(StoreError::ConditionFailed { .. }) => {
                return Err(ReviewError::DownloadLimit {
                    id: id.to_owned(),
                    max,
                }
                .into())
            }
            Err(err) => return Err(ApiError::internal(UNCHANGED, err)),
        };
        match self.presign(&key).await {
            Ok(url) => {
                tracing::info!(
                    egress_request_id = id,
                    count,
                    max,
                    subject = %caller.subject,
                    "download link issued"
                );
                Ok(PresignPayload {
                    presign_url: Some(url),
                })
            }
            Err(err) => {
                if let Err(undo) = self.store.uncount_download(id).await {
                    tracing::error!(
                        egress_request_id = id,
                        error = %chain(&undo),
                        "cannot give back a download whose link failed"
                    );
                    return Err(ApiError::internal(
                        "one download was counted without a link",
                        err,
                    ));
                }
                Err(ApiError::internal(UNCHANGED, err))
            }
        }
    }

    async fn presign(&self, key: &str) -> Result<String, InternalError> {
        let presign_error =
            |source: Box<dyn std::error::Error + Send + Sync>| InternalError::Presign {
                key: key.to_owned(),
                source,
            };
        let config = PresigningConfig::expires_in(self.settings.presigned_url_ttl)
            .map_err(|e| presign_error(Box::new(e)))?;
        let request = self
            .s3
            .get_object()
            .bucket(&self.settings.datalake_bucket)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{DOWNLOAD_FILE_NAME}\""))
            .presigned(config)
            .await
            .map_err(|e| presign_error(Box::new(e)))?;
        Ok(request.uri().to_owned())
    }
}

/// Maps a stored item to the GraphQL `Request`; the error names a missing attribute that the
/// workflow writes on every item (a non-null field).
/// The waiting stage's handle is shown only to members of that stage's group, and the raw
/// Step Functions token never.
pub fn to_request(
    record: &RequestRecord,
    caller: &Caller,
    settings: &ApiSettings,
) -> Result<Request, &'static str> {
    let required = |name: &'static str| record.text(name).ok_or(name);
    let optional = |name: &str| record.text(name);
    let waiting_group = record
        .number("current_stage")
        .and_then(|stage| u8::try_from(stage).ok())
        .and_then(|stage| settings.reviewer_groups.of_stage(stage));
    let task_token = match waiting_group {
        Some(group) if caller.is_in(group) => optional("review_handle"),
        _ => None,
    };
    Ok(Request {
        egress_request_id: required("egress_request_id")?,
        egress_store_name: required("egress_store_name")?,
        swb_egress_store_id: required("swb_egress_store_id")?,
        project_id: required("project_id")?,
        workspace_id: required("workspace_id")?,
        requested_by: required("requested_by")?,
        requested_dt: required("requested_dt")?,
        updated_by: required("updated_by")?,
        updated_dt: required("updated_dt")?,
        egress_status: required("egress_status")?,
        s3_egress_store_bucket: required("s3_egress_store_bucket")?,
        s3_egress_store_bucket_path: required("s3_egress_store_bucket_path")?,
        s3_egress_store_object_list_location: required("s3_egress_store_object_list_location")?,
        s3_swb_object_metadata_version: required("s3_swb_object_metadata_version")?,
        task_token,
        ig_reviewer_1_name: optional("ig_reviewer_1_name"),
        ig_reviewer_1_email: optional("ig_reviewer_1_email"),
        ig_reviewer_1_dt: optional("ig_reviewer_1_dt"),
        ig_reviewer_1_reason: optional("ig_reviewer_1_reason"),
        ig_reviewer_1_decision: optional("ig_reviewer_1_decision"),
        rit_reviewer_2_name: optional("rit_reviewer_2_name"),
        rit_reviewer_2_email: optional("rit_reviewer_2_email"),
        rit_reviewer_2_dt: optional("rit_reviewer_2_dt"),
        rit_reviewer_2_reason: optional("rit_reviewer_2_reason"),
        rit_reviewer_2_decision: optional("rit_reviewer_2_decision"),
        current_reviewer_group: optional("current_reviewer_group"),
        s3_staging_object_metadata_version: optional("s3_staging_object_metadata_version"),
        // A request nobody downloaded yet has a count of zero, not an unknown one.
        download_count: Some(optional("download_count").unwrap_or_else(|| "0".to_owned())),
        failure_reason: optional("failure_reason"),
        object_count: optional("object_count"),
        total_bytes: optional("total_bytes"),
        file_types: record.list("file_types"),
    })
}

/// Newest `requested_dt` first; times compare as instants when they parse as RFC 3339 (SWB's
/// format), unparseable ones go last; ties by id keep the order stable.
fn newest_first(a: &Request, b: &Request) -> Ordering {
    let at = |r: &Request| OffsetDateTime::parse(&r.requested_dt, &Rfc3339).ok();
    match (at(a), at(b)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => b.requested_dt.cmp(&a.requested_dt),
    }
    .then_with(|| a.egress_request_id.cmp(&b.egress_request_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;

    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_sdk_sfn::operation::send_task_success::{SendTaskSuccessError, SendTaskSuccessOutput};
    use aws_sdk_sfn::types::error::TaskTimedOut;
    use aws_smithy_mocks::{
        create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode,
    };
    use aws_smithy_types::error::ErrorMetadata;

    use crate::config::ReviewerGroups;

    const ID: &str = "6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11";
    const NOW: &str = "2024-06-03T16:05:12Z";

    fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        )
    }

    fn dynamodb(rules: &[&Rule]) -> aws_sdk_dynamodb::Client {
        use aws_sdk_dynamodb::config::{retry::RetryConfig, BehaviorVersion, Credentials, Region};
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::from_static("eu-west-2"))
                .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .retry_config(RetryConfig::disabled())
                .http_client(create_mock_http_client())
                .interceptor(interceptor(rules))
                .build(),
        )
    }

    fn sfn(rules: &[&Rule]) -> aws_sdk_sfn::Client {
        use aws_sdk_sfn::config::{retry::RetryConfig, BehaviorVersion, Credentials, Region};
        aws_sdk_sfn::Client::from_conf(
            aws_sdk_sfn::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::from_static("eu-west-2"))
                .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .retry_config(RetryConfig::disabled())
                .http_client(create_mock_http_client())
                .interceptor(interceptor(rules))
                .build(),
        )
    }

    fn s3() -> aws_sdk_s3::Client {
        use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::from_static("eu-west-2"))
                .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
                .build(),
        )
    }

    fn settings() -> ApiSettings {
        ApiSettings {
            requests_table: "requests".into(),
            datalake_bucket: "datalake".into(),
            reviewer_groups: ReviewerGroups {
                first: "IG".into(),
                second: "RIT".into(),
            },
            max_downloads: 2,
            presigned_url_ttl: Duration::from_secs(300),
        }
    }

    fn service(dynamodb: aws_sdk_dynamodb::Client, sfn: aws_sdk_sfn::Client) -> ApiService {
        ApiService {
            store: RequestStore::new(dynamodb, "requests"),
            s3: s3(),
            workflow: WorkflowClient::new(sfn),
            settings: settings(),
            clock: Arc::new(|| OffsetDateTime::parse(NOW, &Rfc3339).unwrap()),
        }
    }

    fn caller(email: &str, groups: &[&str]) -> Caller {
        Caller {
            subject: format!("sub-{email}"),
            name: email.split('@').next().unwrap().into(),
            email: email.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn item(extra: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
        let s = |v: &str| AttributeValue::S(v.into());
        let mut item: HashMap<String, AttributeValue> = [
            ("egress_request_id", s(ID)),
            ("egress_store_name", s("Project 42 egress")),
            ("swb_egress_store_id", s("ws-7f3a9c")),
            ("project_id", s("proj-42")),
            ("workspace_id", s("ws-7f3a9c")),
            ("requested_by", s("researcher@example.org")),
            ("requested_dt", s("2024-06-01T09:30:00.000Z")),
            ("updated_by", s("researcher@example.org")),
            ("updated_dt", s("2024-06-01T09:30:00.000Z")),
            ("egress_status", s("PROCESSING")),
            ("s3_egress_store_bucket", s("swb-egress-store")),
            ("s3_egress_store_bucket_path", s("ws-7f3a9c/")),
            (
                "s3_egress_store_object_list_location",
                s("arn:aws:s3:::swb-notifications/ws-7f3a9c/list.json"),
            ),
            ("s3_swb_object_metadata_version", s("3")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        item.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        item
    }

    fn waiting_first() -> HashMap<String, AttributeValue> {
        item(&[
            ("current_stage", AttributeValue::N("1".into())),
            ("current_reviewer_group", AttributeValue::S("IG".into())),
            ("review_handle", AttributeValue::S("handle-1".into())),
            ("sfn_task_token", AttributeValue::S("raw-sfn-token".into())),
        ])
    }

    fn approved() -> HashMap<String, AttributeValue> {
        item(&[
            ("egress_status", AttributeValue::S("RITAPPROVED".into())),
            (
                "archive_key",
                AttributeValue::S(format!("egress/{ID}/egress_data.zip")),
            ),
        ])
    }

    fn get_item(item: HashMap<String, AttributeValue>) -> Rule {
        mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        })
    }

    fn is_decision(expr: Option<&str>) -> bool {
        expr.is_some_and(|e| e.starts_with("SET egress_status = :status"))
    }

    fn is_revert(expr: Option<&str>) -> bool {
        expr.is_some_and(|e| e.starts_with("SET egress_status = :awaiting"))
    }

    fn condition_failed() -> UpdateItemError {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .meta(
                    ErrorMetadata::builder()
                        .code("ConditionalCheckFailedException")
                        .build(),
                )
                .build(),
        )
    }

    fn approve_first() -> UpdateRequestInput {
        UpdateRequestInput {
            egress_request_id: ID.into(),
            task_token: "handle-1".into(),
            ig_reviewer_1_name: Some("Someone Else".into()),
            ig_reviewer_1_email: Some("spoof@example.org".into()),
            ig_reviewer_1_dt: Some("1999-01-01T00:00:00Z".into()),
            ig_reviewer_1_decision: Some("APPROVED".into()),
            ig_reviewer_1_reason: Some("fine".into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn decision_records_server_identity_and_time_and_resumes_workflow() {
        let get = get_item(waiting_first());
        let record = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| {
                let v = |k: &str| {
                    r.expression_attribute_values()
                        .and_then(|m| m.get(k))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                };
                is_decision(r.update_expression())
                    && v(":email").as_deref() == Some("ig@example.org")
                    && v(":name").as_deref() == Some("ig")
                    && v(":now").as_deref() == Some(NOW)
                    && v(":handle").as_deref() == Some("handle-1")
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let resume = mock!(aws_sdk_sfn::Client::send_task_success)
            .match_requests(|r| {
                let output: serde_json::Value =
                    serde_json::from_str(r.output().unwrap_or_default()).unwrap();
                r.task_token() == Some("raw-sfn-token")
                    && output == json!({"decision": "APPROVED", "stage": 1, "reviewer_group": "IG"})
            })
            .then_output(|| SendTaskSuccessOutput::builder().build());
        let api = service(dynamodb(&[&get, &record]), sfn(&[&resume]));
        let message = api
            .update_request(&caller("ig@example.org", &["IG"]), &approve_first())
            .await
            .unwrap();
        assert_eq!(
            message,
            format!("egress request `{ID}` approved at stage 1")
        );
        assert_eq!((record.num_calls(), resume.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn decision_after_review_closed_is_not_undone() {
        let get = get_item(waiting_first());
        let record = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| is_decision(r.update_expression()))
            .then_output(|| UpdateItemOutput::builder().build());
        let revert = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| is_revert(r.update_expression()))
            .then_output(|| UpdateItemOutput::builder().build());
        let resume = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
            SendTaskSuccessError::TaskTimedOut(
                TaskTimedOut::builder()
                    .meta(ErrorMetadata::builder().code("TaskTimedOut").build())
                    .build(),
            )
        });
        let api = service(dynamodb(&[&get, &record, &revert]), sfn(&[&resume]));
        let err = api
            .update_request(&caller("ig@example.org", &["IG"]), &approve_first())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the review of egress request `{ID}` has closed (timed out or ended); reload the request list")
        );
        assert_eq!(revert.num_calls(), 0);
    }

    #[tokio::test]
    async fn decision_is_undone_when_workflow_is_busy() {
        let get = get_item(waiting_first());
        let record = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| is_decision(r.update_expression()))
            .then_output(|| UpdateItemOutput::builder().build());
        let revert = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|r| is_revert(r.update_expression()))
            .then_output(|| UpdateItemOutput::builder().build());
        let resume = mock!(aws_sdk_sfn::Client::send_task_success).then_error(|| {
            SendTaskSuccessError::generic(
                ErrorMetadata::builder().code("ThrottlingException").build(),
            )
        });
        let api = service(dynamodb(&[&get, &record, &revert]), sfn(&[&resume]));
        let err = api
            .update_request(&caller("ig@example.org", &["IG"]), &approve_first())
            .await
            .unwrap_err();
        assert_eq!(err.error_type(), "Transient");
        assert!(
            err.to_string().ends_with("nothing was changed, try again"),
            "{err}"
        );
        assert_eq!(revert.num_calls(), 1);
    }

    #[tokio::test]
    async fn lost_decision_race_says_someone_else_decided() {
        let decided = item(&[
            ("egress_status", AttributeValue::S("IGAPPROVED".into())),
            (
                "ig_reviewer_1_decision",
                AttributeValue::S("APPROVED".into()),
            ),
            ("current_stage", AttributeValue::N("2".into())),
            ("review_handle", AttributeValue::S("handle-2".into())),
        ]);
        let first = waiting_first();
        let get = mock!(aws_sdk_dynamodb::Client::get_item)
            .sequence()
            .output(move || {
                GetItemOutput::builder()
                    .set_item(Some(first.clone()))
                    .build()
            })
            .output(move || {
                GetItemOutput::builder()
                    .set_item(Some(decided.clone()))
                    .build()
            })
            .build();
        let record = mock!(aws_sdk_dynamodb::Client::update_item).then_error(condition_failed);
        let resume = mock!(aws_sdk_sfn::Client::send_task_success)
            .then_output(|| SendTaskSuccessOutput::builder().build());
        let api = service(dynamodb(&[&get, &record]), sfn(&[&resume]));
        let err = api
            .update_request(&caller("ig@example.org", &["IG"]), &approve_first())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("egress request `{ID}` was decided by someone else a moment ago; reload the request list")
        );
        assert_eq!(resume.num_calls(), 0);
    }

    #[tokio::test]
    async fn outsider_is_refused_before_anything_is_read() {
        let get = get_item(waiting_first());
        let api = service(dynamodb(&[&get]), sfn(&[]));
        let err = api
            .update_request(&caller("x@example.org", &["Staff"]), &approve_first())
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "you are not a member of a reviewer group");
        assert_eq!(get.num_calls(), 0);
    }

    #[tokio::test]
    async fn download_beyond_the_limit_is_refused() {
        let get = get_item(approved());
        let count = mock!(aws_sdk_dynamodb::Client::update_item).then_error(condition_failed);
        let api = service(dynamodb(&[&get, &count]), sfn(&[]));
        let input = DownloadDataInput {
            egress_request_id: ID.into(),
            workspace_id: "ws-7f3a9c".into(),
            download_count: "0".into(),
        };
        let err = api
            .download_data(&caller("ig@example.org", &["IG"]), &input)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("egress request `{ID}` has been downloaded the maximum of 2 time(s)")
        );
        assert_eq!(err.error_type(), "Conflict");
    }

    #[tokio::test]
    async fn download_from_another_workspace_is_refused_without_counting() {
        let get = get_item(approved());
        let count = mock!(aws_sdk_dynamodb::Client::update_item)
            .then_output(|| UpdateItemOutput::builder().build());
        let api = service(dynamodb(&[&get, &count]), sfn(&[]));
        let input = DownloadDataInput {
            egress_request_id: ID.into(),
            workspace_id: "ws-other".into(),
            download_count: "0".into(),
        };
        let err = api
            .download_data(&caller("ig@example.org", &["IG"]), &input)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ApiError::Review(ReviewError::WrongWorkspace(_))),
            "{err}"
        );
        assert_eq!(count.num_calls(), 0);
    }

    #[tokio::test]
    async fn download_link_points_at_the_archive_as_an_attachment() {
        let get = get_item(approved());
        let count = mock!(aws_sdk_dynamodb::Client::update_item).then_output(|| {
            UpdateItemOutput::builder()
                .attributes("download_count", AttributeValue::N("1".into()))
                .build()
        });
        let api = service(dynamodb(&[&get, &count]), sfn(&[]));
        let input = DownloadDataInput {
            egress_request_id: ID.into(),
            workspace_id: "ws-7f3a9c".into(),
            download_count: "99".into(),
        };
        let payload = api
            .download_data(&caller("ig@example.org", &["IG"]), &input)
            .await
            .unwrap();
        let url = payload.presign_url.unwrap();
        assert!(
            url.contains(&format!("egress/{ID}/egress_data.zip")),
            "{url}"
        );
        assert!(
            url.contains("response-content-disposition=attachment"),
            "{url}"
        );
        assert!(url.contains("X-Amz-Expires=300"), "{url}");
        assert_eq!(count.num_calls(), 1);
    }

    fn record(extra: &[(&str, AttributeValue)]) -> RequestRecord {
        RequestRecord::from_item(item(extra))
    }

    #[test]
    fn handle_is_shown_only_to_the_waiting_group_and_raw_token_never() {
        let waiting = RequestRecord::from_item(waiting_first());
        let ig = to_request(&waiting, &caller("ig@example.org", &["IG"]), &settings()).unwrap();
        assert_eq!(ig.task_token.as_deref(), Some("handle-1"));
        let rit = to_request(&waiting, &caller("rit@example.org", &["RIT"]), &settings()).unwrap();
        assert_eq!(rit.task_token, None);
        let text = serde_json::to_string(&ig).unwrap();
        assert!(!text.contains("raw-sfn-token"), "{text}");
    }

    #[test]
    fn staged_summary_and_count_are_rendered_as_strings() {
        let r = record(&[
            ("object_count", AttributeValue::N("3".into())),
            ("total_bytes", AttributeValue::N("1048576".into())),
            (
                "file_types",
                AttributeValue::L(vec![
                    AttributeValue::S("csv".into()),
                    AttributeValue::S("txt".into()),
                ]),
            ),
        ]);
        let request = to_request(&r, &caller("ig@example.org", &["IG"]), &settings()).unwrap();
        assert_eq!(request.object_count.as_deref(), Some("3"));
        assert_eq!(request.total_bytes.as_deref(), Some("1048576"));
        assert_eq!(
            request.file_types,
            Some(vec!["csv".to_string(), "txt".to_string()])
        );
        assert_eq!(request.download_count.as_deref(), Some("0"));
    }

    #[test]
    fn item_missing_a_required_attribute_is_named() {
        let mut broken = item(&[]);
        broken.remove("workspace_id");
        let err = to_request(
            &RequestRecord::from_item(broken),
            &caller("ig@example.org", &["IG"]),
            &settings(),
        );
        assert_eq!(err, Err("workspace_id"));
    }

    #[test]
    fn requests_sort_newest_first() {
        let at = |id: &str, dt: &str| Request {
            egress_request_id: id.into(),
            requested_dt: dt.into(),
            ..Default::default()
        };
        let mut list = [
            at("a", "2024-06-01T09:30:00.5Z"),
            at("b", "garbage"),
            at("c", "2024-06-02T08:00:00Z"),
            at("d", "2024-06-01T09:30:00.25Z"),
        ];
        list.sort_by(newest_first);
        let ids: Vec<&str> = list.iter().map(|r| r.egress_request_id.as_str()).collect();
        assert_eq!(ids, ["c", "a", "d", "b"]);
    }
}
