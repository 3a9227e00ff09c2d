//! Role `notify-requester`: e-mails the requester the outcome of the review.

use lambda_runtime::Diagnostic;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::adapters::mail::{Email, MailError, Mailer};
use crate::adapters::requests::{now_rfc3339, RequestRecord, RequestStore, StoreError};
use crate::adapters::Clients;
use crate::config::{ConfigError, Env, MailSettings};
use crate::error::{diagnostic, Classify, ErrorKind};

/// What the state machine sends at the end of a review.
#[derive(Debug, Deserialize)]
pub struct NotifyEvent {
    /// The request.
    pub egress_request_id: String,
    /// `APPROVED` or `REJECTED`.
    pub outcome: String,
}

/// What the role returns.
#[derive(Debug, Serialize)]
pub struct Notified {
    /// SES's message id.
    pub message_id: String,
}

/// Why the requester could not be told.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Only the two outcomes exist.
    #[error("outcome `{0}` is neither `APPROVED` nor `REJECTED`")]
    UnknownOutcome(String),
    /// The request item is gone.
    #[error("egress request `{0}` does not exist")]
    UnknownRequest(String),
    /// The table call failed.
    #[error("cannot read or update egress request `{id}`")]
    Store {
        /// The request.
        id: String,
        /// The failure.
        #[source]
        source: StoreError,
    },
    /// SES refused or failed.
    #[error("cannot e-mail the requester of egress request `{id}`")]
    Mail {
        /// The request.
        id: String,
        /// The failure.
        #[source]
        source: MailError,
    },
}

impl Classify for NotifyError {
    fn kind(&self) -> ErrorKind {
        match self {
            NotifyError::UnknownOutcome(_) => ErrorKind::InvalidInput,
            NotifyError::UnknownRequest(_) => ErrorKind::NotFound,
            NotifyError::Store { source, .. } if source.is_transient() => ErrorKind::Transient,
            NotifyError::Mail { source, .. } if source.is_transient() => ErrorKind::Transient,
            NotifyError::Store { .. } | NotifyError::Mail { .. } => ErrorKind::Internal,
        }
    }
}

/// Writes the e-mail for a request and its outcome.
pub fn compose(record: &RequestRecord, approved: bool, app_url: &str) -> Email {
    let id = record.id();
    let text = |name: &str| record.text(name).unwrap_or_default();
    let (subject, summary, next) = if approved {
        (
            format!("Egress request {id} approved"),
            "was approved by both reviews. The data has been placed in the datalake, where the \
             information governance team can release it to you.",
            "Your workspace's egress store can now be terminated.",
        )
    } else {
        (
            format!("Egress request {id} rejected"),
            "was rejected. The staged copy of the data has been deleted.",
            "You may revise the files in your egress store and submit a new request.",
        )
    };
    let mut body = format!(
        "Your egress request {id} (project {project}, workspace {workspace}, submitted {submitted}) {summary}\n\n",
        project = text("project_id"),
        workspace = text("workspace_id"),
        submitted = text("requested_dt"),
    );
    let decisions = record.decisions();
    for decision in &decisions {
        let stage = if decision.stage == 1 {
            "Information governance"
        } else {
            "Research IT"
        };
        body.push_str(&format!(
            "{stage} review: {} on {}",
            decision.decision, decision.at
        ));
        if !decision.reason.is_empty() {
            body.push_str(&format!(", reason: {}", decision.reason));
        }
        body.push('\n');
    }
    body.push_str(&format!("\n{next}\nEgress app: {app_url}\n"));
    let cc = decisions
        .into_iter()
        .find(|d| d.stage == 1)
        .map(|d| d.email)
        .filter(|e| !e.is_empty());
    Email {
        to: vec![text("requested_by")],
        cc: cc.into_iter().collect(),
        subject,
        body,
    }
}

/// The handler.
pub struct Handler {
    store: RequestStore,
    mailer: Mailer,
    app_url: String,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        let settings = MailSettings::from_env(env)?;
        Ok(Handler {
            store: RequestStore::new(clients.dynamodb.clone(), settings.requests_table),
            mailer: Mailer::new(
                clients.sesv2.clone(),
                settings.sender_email,
                settings.configuration_set,
            ),
            app_url: settings.egress_app_url,
        })
    }

    /// Handles one event.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let event: NotifyEvent = super::decode(event, "notification event")?;
        let notified = self.notify(event).await.map_err(|e| diagnostic(&e))?;
        super::encode(&notified)
    }

    /// Sends the e-mail and records that it was sent.
    pub async fn notify(&self, event: NotifyEvent) -> Result<Notified, NotifyError> {
        let approved = match event.outcome.as_str() {
            "APPROVED" => true,
            "REJECTED" => false,
            other => return Err(NotifyError::UnknownOutcome(other.into())),
        };
        let id = event.egress_request_id;
        let store_error = |source| NotifyError::Store {
            id: id.clone(),
            source,
        };
        let record = self
            .store
            .get(&id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| NotifyError::UnknownRequest(id.clone()))?;
        let email = compose(&record, approved, &self.app_url);
        let message_id = self
            .mailer
            .send(&email)
            .await
            .map_err(|source| NotifyError::Mail {
                id: id.clone(),
                source,
            })?;
        self.store
            .record_notification(&id, &message_id, &now_rfc3339())
            .await
            .map_err(store_error)?;
        tracing::info!(egress_request_id = %id, approved, "requester notified");
        Ok(Notified { message_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;
    use std::collections::HashMap;

    fn record() -> RequestRecord {
        let s = |v: &str| AttributeValue::S(v.into());
        RequestRecord::from_item(HashMap::from([
            ("egress_request_id".into(), s("r-1")),
            ("project_id".into(), s("proj-1")),
            ("workspace_id".into(), s("ws-1")),
            ("requested_by".into(), s("researcher@example.org")),
            ("requested_dt".into(), s("2026-10-15T19:03:09.367Z")),
            ("ig_reviewer_1_decision".into(), s("APPROVED")),
            ("ig_reviewer_1_email".into(), s("ig@example.org")),
            ("ig_reviewer_1_dt".into(), s("2026-10-16T10:00:00.000Z")),
            ("ig_reviewer_1_reason".into(), s("aggregate data only")),
            ("rit_reviewer_2_decision".into(), s("REJECTED")),
            ("rit_reviewer_2_email".into(), s("rit@example.org")),
            ("rit_reviewer_2_dt".into(), s("2026-10-16T11:00:00.000Z")),
        ]))
    }

    #[test]
    fn rejection_mail_goes_to_requester_with_first_reviewer_in_copy() {
        let email = compose(&record(), false, "https://egress.example.org");
        assert_eq!(email.to, ["researcher@example.org"]);
        assert_eq!(email.cc, ["ig@example.org"]);
        assert_eq!(email.subject, "Egress request r-1 rejected");
        assert!(
            email.body.contains("Research IT review: REJECTED"),
            "{}",
            email.body
        );
        assert!(
            email.body.contains("reason: aggregate data only"),
            "{}",
            email.body
        );
        assert!(
            email.body.contains("https://egress.example.org"),
            "{}",
            email.body
        );
    }

    #[test]
    fn approval_mail_says_the_store_may_be_terminated() {
        let email = compose(&record(), true, "https://egress.example.org");
        assert!(email.subject.ends_with("approved"));
        assert!(
            email.body.contains("can now be terminated"),
            "{}",
            email.body
        );
    }
}
