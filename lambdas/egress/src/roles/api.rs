//! Role `api`: AppSync's direct Lambda resolver of `listRequests`, `updateRequest` and
//! `downloadData`.
//!
//! AppSync has verified the caller's Cognito token; the caller is built from the event's
//! `identity`, never from the arguments. An error reaches the GraphQL caller as AppSync's
//! `errorType` and `errorMessage`, so the message is the caller-facing one.

use lambda_runtime::Diagnostic;
use serde::Deserialize;
use serde_json::Value;

use crate::adapters::Clients;
use crate::api::auth::{caller_from_appsync_identity, AuthError};
use crate::api::service::{ApiError, ApiService};
use crate::api::types::{DownloadDataInput, UpdateRequestInput};
use crate::config::{ApiSettings, ConfigError, Env};
use crate::error::ErrorKind;

use super::{decode, encode};

/// The parts of an AppSync direct Lambda resolver event this role reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolverEvent {
    /// The field's arguments.
    #[serde(default)]
    pub arguments: Value,
    /// The verified caller (`null` for API-key calls).
    #[serde(default)]
    pub identity: Option<Value>,
    /// Which field is resolved.
    pub info: ResolverInfo,
}

/// `info` of a resolver event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolverInfo {
    /// `listRequests`, `updateRequest` or `downloadData`.
    pub field_name: String,
    /// `Query` or `Mutation`.
    pub parent_type_name: String,
}

/// The `request` argument of both mutations.
#[derive(Debug, Deserialize)]
struct RequestArgument<T> {
    request: T,
}

/// The handler.
pub struct Handler {
    service: ApiService,
}

impl Handler {
    /// Builds the handler.
    pub fn new<F: Fn(&str) -> Option<String>>(
        clients: &Clients,
        env: &Env<F>,
    ) -> Result<Self, ConfigError> {
        Ok(Handler {
            service: ApiService::new(clients, ApiSettings::from_env(env)?),
        })
    }

    /// Resolves one field.
    pub async fn handle(&self, event: Value) -> Result<Value, Diagnostic> {
        let event: ResolverEvent = decode(event, "AppSync resolver event")?;
        let caller = caller_from_appsync_identity(event.identity.as_ref())
            .map_err(|e| auth_diagnostic(&e))?;
        let field = event.info.field_name.as_str();
        let parent = event.info.parent_type_name.as_str();
        tracing::info!(field, parent, subject = %caller.subject, "resolving");
        let service = &self.service;
        match field {
            "listRequests" => {
                let requests = service.list_requests(&caller).await;
                encode(&requests.map_err(|e| api_diagnostic(&e))?)
            }
            "updateRequest" => {
                let args: RequestArgument<UpdateRequestInput> =
                    decode(event.arguments, "updateRequest argument")?;
                let message = service.update_request(&caller, &args.request).await;
                encode(&message.map_err(|e| api_diagnostic(&e))?)
            }
            "downloadData" => {
                let args: RequestArgument<DownloadDataInput> =
                    decode(event.arguments, "downloadData argument")?;
                let payload = service.download_data(&caller, &args.request).await;
                encode(&payload.map_err(|e| api_diagnostic(&e))?)
            }
            other => Err(Diagnostic {
                error_type: ErrorKind::InvalidInput.error_type().to_owned(),
                error_message: format!(
                    "this resolver serves `listRequests`, `updateRequest` and `downloadData`, not `{other}`"
                ),
            }),
        }
    }
}

/// The caller-facing message only: internal details were logged under the reference.
fn api_diagnostic(err: &ApiError) -> Diagnostic {
    Diagnostic {
        error_type: err.error_type().to_owned(),
        error_message: err.to_string(),
    }
}

fn auth_diagnostic(err: &AuthError) -> Diagnostic {
    Diagnostic {
        error_type: "Unauthorized".to_owned(),
        error_message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = include_str!("../../tests/fixtures/appsync_list_requests.json");
    const UPDATE: &str = include_str!("../../tests/fixtures/appsync_update_request.json");
    const DOWNLOAD: &str = include_str!("../../tests/fixtures/appsync_download_data.json");
    const NO_EMAIL: &str = include_str!("../../tests/fixtures/appsync_identity_without_email.json");

    fn event(text: &str) -> ResolverEvent {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn list_event_decodes_with_caller_from_identity() {
        let e = event(LIST);
        assert_eq!(e.info.field_name, "listRequests");
        assert_eq!(e.info.parent_type_name, "Query");
        let caller = caller_from_appsync_identity(e.identity.as_ref()).unwrap();
        assert_eq!(caller.email, "ig.reviewer@example.org");
        assert_eq!(caller.groups, vec!["IG".to_string()]);
    }

    #[test]
    fn update_event_decodes_to_input() {
        let e = event(UPDATE);
        assert_eq!(e.info.field_name, "updateRequest");
        let args: RequestArgument<UpdateRequestInput> =
            serde_json::from_value(e.arguments).unwrap();
        assert_eq!(
            args.request.egress_request_id,
            "6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11"
        );
        assert_eq!(
            args.request.ig_reviewer_1_decision.as_deref(),
            Some("APPROVED")
        );
        assert_eq!(args.request.rit_reviewer_2_decision, None);
    }

    #[test]
    fn download_event_decodes_to_input() {
        let e = event(DOWNLOAD);
        let args: RequestArgument<DownloadDataInput> = serde_json::from_value(e.arguments).unwrap();
        assert_eq!(args.request.workspace_id, "ws-7f3a9c");
        assert_eq!(args.request.download_count, "0");
    }

    #[test]
    fn identity_without_email_is_unauthorized_with_the_reason() {
        let e = event(NO_EMAIL);
        let err = caller_from_appsync_identity(e.identity.as_ref()).unwrap_err();
        let diagnostic = auth_diagnostic(&err);
        assert_eq!(diagnostic.error_type, "Unauthorized");
        assert!(
            diagnostic.error_message.contains("no `email` claim"),
            "{}",
            diagnostic.error_message
        );
    }

    #[test]
    fn rule_violation_reaches_appsync_verbatim() {
        let err = ApiError::Review(crate::domain::review::ReviewError::DownloadLimit {
            id: "r".into(),
            max: 1,
        });
        let diagnostic = api_diagnostic(&err);
        assert_eq!(diagnostic.error_type, "Conflict");
        assert_eq!(
            diagnostic.error_message,
            "egress request `r` has been downloaded the maximum of 1 time(s)"
        );
    }
}
