//! The GraphQL object and input types, shared by the juniper schema and the AppSync resolver.
//!
//! Field names are spelled exactly as in `schema/schema.graphql` (snake_case, as the existing web
//! app expects), hence `rename_all = "none"`: juniper would camelCase them otherwise.

use juniper::{GraphQLInputObject, GraphQLObject};
use serde::{Deserialize, Serialize};

/// One egress request as reviewers see it (GraphQL `Request`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, GraphQLObject)]
#[graphql(name = "Request", rename_all = "none")]
pub struct Request {
    /// SWB's request id.
    pub egress_request_id: String,
    /// Display name of the egress store.
    pub egress_store_name: String,
    /// SWB's egress store id.
    pub swb_egress_store_id: String,
    /// Project of the workspace.
    pub project_id: String,
    /// Workspace the data comes from.
    pub workspace_id: String,
    /// Requester's e-mail.
    pub requested_by: String,
    /// Submission time.
    pub requested_dt: String,
    /// Last updater's e-mail.
    pub updated_by: String,
    /// Last update time.
    pub updated_dt: String,
    /// `PROCESSING`, `IGAPPROVED`, `RITAPPROVED`, `REJECTED`, `FAILED` or `EXPIRED`.
    pub egress_status: String,
    /// Egress store bucket.
    pub s3_egress_store_bucket: String,
    /// Prefix of the store in that bucket.
    pub s3_egress_store_bucket_path: String,
    /// `arn:aws:s3:::<bucket>/<key>` of the object list.
    pub s3_egress_store_object_list_location: String,
    /// SWB's submission counter, as a decimal string.
    pub s3_swb_object_metadata_version: String,
    /// Opaque handle of the review stage that waits now; not a Step Functions token.
    pub task_token: Option<String>,
    /// Stage-1 reviewer's name.
    pub ig_reviewer_1_name: Option<String>,
    /// Stage-1 reviewer's e-mail.
    pub ig_reviewer_1_email: Option<String>,
    /// Stage-1 decision time.
    pub ig_reviewer_1_dt: Option<String>,
    /// Stage-1 reason.
    pub ig_reviewer_1_reason: Option<String>,
    /// Stage-1 decision.
    pub ig_reviewer_1_decision: Option<String>,
    /// Stage-2 reviewer's name.
    pub rit_reviewer_2_name: Option<String>,
    /// Stage-2 reviewer's e-mail.
    pub rit_reviewer_2_email: Option<String>,
    /// Stage-2 decision time.
    pub rit_reviewer_2_dt: Option<String>,
    /// Stage-2 reason.
    pub rit_reviewer_2_reason: Option<String>,
    /// Stage-2 decision.
    pub rit_reviewer_2_decision: Option<String>,
    /// Group of the stage waiting now.
    pub current_reviewer_group: Option<String>,
    /// Version of the object list as staged.
    pub s3_staging_object_metadata_version: Option<String>,
    /// Downloads counted so far, as a decimal string.
    pub download_count: Option<String>,
    /// Why the request ended without a decision (FAILED or EXPIRED), if it did.
    pub failure_reason: Option<String>,
    /// Number of staged objects.
    pub object_count: Option<String>,
    /// Total size of the staged objects in bytes.
    pub total_bytes: Option<String>,
    /// Distinct file types of the staged objects.
    pub file_types: Option<Vec<String>>,
}

/// A stage decision (GraphQL `UpdateRequestInput`). Reviewer name, e-mail and time sent here
/// are ignored: the server records the caller's and its own clock's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, GraphQLInputObject)]
#[graphql(name = "UpdateRequestInput", rename_all = "none")]
pub struct UpdateRequestInput {
    /// The request.
    pub egress_request_id: String,
    /// The opaque review handle read from `listRequests`.
    pub task_token: String,
    /// Ignored.
    #[serde(default)]
    pub ig_reviewer_1_name: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub ig_reviewer_1_email: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub ig_reviewer_1_dt: Option<String>,
    /// Stage-1 reason.
    #[serde(default)]
    pub ig_reviewer_1_reason: Option<String>,
    /// Stage-1 decision, `APPROVED` or `REJECTED`.
    #[serde(default)]
    pub ig_reviewer_1_decision: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub rit_reviewer_2_name: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub rit_reviewer_2_email: Option<String>,
    /// Ignored.
    #[serde(default)]
    pub rit_reviewer_2_dt: Option<String>,
    /// Stage-2 reason.
    #[serde(default)]
    pub rit_reviewer_2_reason: Option<String>,
    /// Stage-2 decision, `APPROVED` or `REJECTED`.
    #[serde(default)]
    pub rit_reviewer_2_decision: Option<String>,
}

/// A download of approved data (GraphQL `DownloadDataInput`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, GraphQLInputObject)]
#[graphql(name = "DownloadDataInput", rename_all = "none")]
pub struct DownloadDataInput {
    /// The request.
    pub egress_request_id: String,
    /// Must be the request's workspace.
    pub workspace_id: String,
    /// The client's own count; not trusted, not used.
    pub download_count: String,
}

/// A short-lived download link (GraphQL `presign_payload`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, GraphQLObject)]
#[graphql(name = "presign_payload", rename_all = "none")]
pub struct PresignPayload {
    /// Presigned GET URL of the approved archive.
    pub presign_url: Option<String>,
}
