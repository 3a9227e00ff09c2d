//! The requests table: the record of truth for the reviewers' view of every request.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::domain::request::Status;
use crate::domain::review::{stage_prefix, Caller, Decision, ReviewState};

/// A stored request item, attribute by attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestRecord {
    attributes: HashMap<String, AttributeValue>,
}

impl RequestRecord {
    /// Wraps a DynamoDB item.
    pub fn from_item(attributes: HashMap<String, AttributeValue>) -> Self {
        RequestRecord { attributes }
    }

    /// A string attribute (numbers are rendered as their decimal text).
    pub fn text(&self, name: &str) -> Option<String> {
        match self.attributes.get(name)? {
            AttributeValue::S(s) => Some(s.clone()),
            AttributeValue::N(n) => Some(n.clone()),
            _ => None,
        }
    }

    /// A string-list attribute.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        match self.attributes.get(name)? {
            AttributeValue::L(items) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_s().ok().cloned())
                    .collect(),
            ),
            AttributeValue::Ss(items) => Some(items.clone()),
            _ => None,
        }
    }

    /// A whole-number attribute.
    pub fn number(&self, name: &str) -> Option<u64> {
        self.text(name)?.parse().ok()
    }

    /// `egress_request_id`.
    pub fn id(&self) -> String {
        self.text("egress_request_id").unwrap_or_default()
    }

    /// `egress_status`, if it is a known one.
    pub fn status(&self) -> Option<Status> {
        self.text("egress_status")?.parse().ok()
    }

    /// The raw Step Functions task token of the waiting stage (never leaves the back-end).
    pub fn task_token(&self) -> Option<String> {
        self.text("sfn_task_token")
    }

    /// What the review rules look at.
    pub fn review_state(&self) -> ReviewState {
        ReviewState {
            status: self.status(),
            current_stage: self
                .number("current_stage")
                .and_then(|s| u8::try_from(s).ok()),
            review_handle: self.text("review_handle"),
            requested_by: self.text("requested_by").unwrap_or_default(),
            first_reviewer_email: self.text("ig_reviewer_1_email"),
            archive_published: self.text("archive_key").is_some(),
        }
    }
}

/// A failed table operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The call failed.
    #[error("requests table `{table}`: {operation} failed")]
    Call {
        /// Table name.
        table: String,
        /// The operation.
        operation: &'static str,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
        /// Worth retrying.
        transient: bool,
    },
    /// A condition of a conditional write did not hold.
    #[error("requests table `{table}`: the condition of {operation} on `{id}` did not hold")]
    ConditionFailed {
        /// Table name.
        table: String,
        /// The operation.
        operation: &'static str,
        /// The request.
        id: String,
    },
}

impl StoreError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Call {
                transient: true,
                ..
            }
        )
    }
}

/// The requests table.
#[derive(Clone, Debug)]
pub struct RequestStore {
    client: Client,
    table: String,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

impl RequestStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        RequestStore {
            client,
            table: table.into(),
        }
    }

    fn key(id: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([("egress_request_id".to_owned(), s(id))])
    }

    fn fail<E, R>(&self, operation: &'static str, id: &str, err: SdkError<E, R>) -> StoreError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        if let SdkError::ServiceError(service) = &err {
            if service.err().code() == Some("ConditionalCheckFailedException") {
                return StoreError::ConditionFailed {
                    table: self.table.clone(),
                    operation,
                    id: id.into(),
                };
            }
        }
        let transient = super::is_transient(&err);
        StoreError::Call {
            table: self.table.clone(),
            operation,
            source: Box::new(err),
            transient,
        }
    }

    /// An UpdateItem of one request, ready for its expressions.
    fn update(
        &self,
        id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
    }

    /// Reads one request with a strongly consistent read.
    pub async fn get(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.fail("GetItem", id, e))?;
        Ok(out.item.map(RequestRecord::from_item))
    }

    /// Reads every request, following the scan's pages.
    pub async fn list(&self) -> Result<Vec<RequestRecord>, StoreError> {
        let mut records = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| self.fail("Scan", "*", e))?;
            records.extend(
                out.items
                    .unwrap_or_default()
                    .into_iter()
                    .map(RequestRecord::from_item),
            );
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(records)
    }

    /// Records what was staged, for the reviewers.
    pub async fn record_staged(
        &self,
        id: &str,
        object_count: u64,
        total_bytes: u64,
        file_types: &[String],
    ) -> Result<(), StoreError> {
        self.update(id)
            .update_expression(
                "SET object_count = :count, total_bytes = :bytes, file_types = :types",
            )
            .condition_expression("attribute_exists(egress_request_id)")
            .expression_attribute_values(":count", AttributeValue::N(object_count.to_string()))
            .expression_attribute_values(":bytes", AttributeValue::N(total_bytes.to_string()))
            .expression_attribute_values(
                ":types",
                AttributeValue::L(file_types.iter().map(|t| s(t.as_str())).collect()),
            )
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(staged)", id, e))?;
        Ok(())
    }

    /// Makes a stage wait: stores its task token and a fresh opaque handle, only while the
    /// request has the status that stage expects.
    pub async fn start_review(
        &self,
        id: &str,
        stage: u8,
        group: &str,
        handle: &str,
        task_token: &str,
    ) -> Result<(), StoreError> {
        let awaiting = Status::awaiting(stage)
            .map(Status::as_str)
            .unwrap_or("UNKNOWN");
        self.update(id)
            .update_expression(
                "SET sfn_task_token = :token, review_handle = :handle, current_stage = :stage, current_reviewer_group = :group",
            )
            .condition_expression("egress_status = :awaiting")
            .expression_attribute_values(":token", s(task_token))
            .expression_attribute_values(":handle", s(handle))
            .expression_attribute_values(":stage", AttributeValue::N(stage.to_string()))
            .expression_attribute_values(":group", s(group))
            .expression_attribute_values(":awaiting", s(awaiting))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(start review)", id, e))?;
        Ok(())
    }

    /// Records a decision if, and only if, the stage still waits under the same handle and
    /// has no decision yet: of two concurrent decisions exactly one passes this condition.
    pub async fn record_decision(
        &self,
        id: &str,
        handle: &str,
        decision: &Decision,
        caller: &Caller,
        now: &str,
    ) -> Result<(), StoreError> {
        let p = decision.field_prefix();
        let awaiting = Status::awaiting(decision.stage)
            .map(Status::as_str)
            .unwrap_or("UNKNOWN");
        self.update(id)
            .update_expression(format!(
                "SET egress_status = :status, {p}_decision = :verdict, {p}_reason = :reason, \
                 {p}_name = :name, {p}_email = :email, {p}_dt = :now, {p}_subject = :subject, \
                 updated_dt = :now REMOVE review_handle, current_stage, current_reviewer_group"
            ))
            .condition_expression(format!(
                "review_handle = :handle AND egress_status = :awaiting AND current_stage = :stage \
                 AND attribute_not_exists({p}_decision)"
            ))
            .expression_attribute_values(":status", s(decision.new_status.as_str()))
            .expression_attribute_values(":verdict", s(decision.verdict.as_str()))
            .expression_attribute_values(":reason", s(decision.reason.as_str()))
            .expression_attribute_values(":name", s(caller.name.as_str()))
            .expression_attribute_values(":email", s(caller.email.as_str()))
            .expression_attribute_values(":subject", s(caller.subject.as_str()))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":handle", s(handle))
            .expression_attribute_values(":awaiting", s(awaiting))
            .expression_attribute_values(":stage", AttributeValue::N(decision.stage.to_string()))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(decision)", id, e))?;
        Ok(())
    }

    /// Undoes a decision whose hand-over to the workflow failed, so the stage can be decided
    /// again; only the same decision (same handle, same subject) is undone.
    pub async fn revert_decision(
        &self,
        id: &str,
        handle: &str,
        decision: &Decision,
        caller: &Caller,
        group: &str,
    ) -> Result<(), StoreError> {
        let p = decision.field_prefix();
        let awaiting = Status::awaiting(decision.stage)
            .map(Status::as_str)
            .unwrap_or("UNKNOWN");
        self.update(id)
            .update_expression(format!(
                "SET egress_status = :awaiting, review_handle = :handle, current_stage = :stage, \
                 current_reviewer_group = :group REMOVE {p}_decision, {p}_reason, {p}_name, \
                 {p}_email, {p}_dt, {p}_subject"
            ))
            .condition_expression(format!(
                "egress_status = :status AND {p}_subject = :subject"
            ))
            .expression_attribute_values(":awaiting", s(awaiting))
            .expression_attribute_values(":handle", s(handle))
            .expression_attribute_values(":stage", AttributeValue::N(decision.stage.to_string()))
            .expression_attribute_values(":group", s(group))
            .expression_attribute_values(":status", s(decision.new_status.as_str()))
            .expression_attribute_values(":subject", s(caller.subject.as_str()))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(revert decision)", id, e))?;
        Ok(())
    }

    /// Counts one download atomically; fails the condition once `max` downloads were counted.
    /// Returns the new count.
    pub async fn count_download(&self, id: &str, max: u64) -> Result<u64, StoreError> {
        let out = self
            .update(id)
            .update_expression("SET download_count = if_not_exists(download_count, :zero) + :one")
            .condition_expression(
                "egress_status = :approved AND attribute_exists(archive_key) \
                 AND (attribute_not_exists(download_count) OR download_count < :max)",
            )
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .expression_attribute_values(":approved", s(Status::Ritapproved.as_str()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(download)", id, e))?;
        let count = out
            .attributes
            .map(RequestRecord::from_item)
            .and_then(|r| r.number("download_count"))
            .unwrap_or(max);
        Ok(count)
    }

    /// Gives back a counted download whose link could not be made.
    pub async fn uncount_download(&self, id: &str) -> Result<(), StoreError> {
        self.update(id)
            .update_expression("SET download_count = download_count - :one")
            .condition_expression("download_count > :zero")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(undo download)", id, e))?;
        Ok(())
    }

    /// Records where the approved archive was published.
    pub async fn record_archive(
        &self,
        id: &str,
        archive_key: &str,
        archive_sha256: &str,
        archive_bytes: u64,
    ) -> Result<(), StoreError> {
        self.update(id)
            .update_expression(
                "SET archive_key = :key, archive_sha256 = :sha, archive_bytes = :bytes \
                 REMOVE sfn_task_token",
            )
            .condition_expression("egress_status = :approved")
            .expression_attribute_values(":key", s(archive_key))
            .expression_attribute_values(":sha", s(archive_sha256))
            .expression_attribute_values(":bytes", AttributeValue::N(archive_bytes.to_string()))
            .expression_attribute_values(":approved", s(Status::Ritapproved.as_str()))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(archive)", id, e))?;
        Ok(())
    }
}

/// The decision of a stage as recorded on the item, for the manifest and e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedDecision {
    /// 1 or 2.
    pub stage: u8,
    /// `APPROVED` or `REJECTED`.
    pub decision: String,
    /// Reviewer name.
    pub name: String,
    /// Reviewer e-mail.
    pub email: String,
    /// Server time.
    pub at: String,
    /// Reason.
    pub reason: String,
}

impl RequestRecord {
    /// The decisions recorded so far, in stage order.
    pub fn decisions(&self) -> Vec<RecordedDecision> {
        [1u8, 2]
            .into_iter()
            .filter_map(|stage| {
                let p = stage_prefix(stage);
                Some(RecordedDecision {
                    stage,
                    decision: self.text(&format!("{p}_decision"))?,
                    name: self.text(&format!("{p}_name")).unwrap_or_default(),
                    email: self.text(&format!("{p}_email")).unwrap_or_default(),
                    at: self.text(&format!("{p}_dt")).unwrap_or_default(),
                    reason: self.text(&format!("{p}_reason")).unwrap_or_default(),
                })
            })
            .collect()
    }
}

impl RequestStore {
    /// Records that the requester was told the outcome.
    pub async fn record_notification(
        &self,
        id: &str,
        message_id: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.update(id)
            .update_expression("SET requester_notified_dt = :now, requester_notification_id = :mid")
            .condition_expression("attribute_exists(egress_request_id)")
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":mid", s(message_id))
            .send()
            .await
            .map_err(|e| self.fail("UpdateItem(notification)", id, e))?;
        Ok(())
    }
}

/// The current time as RFC 3339 with milliseconds, UTC.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    now.format(&format)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}
