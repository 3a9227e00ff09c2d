//! An egress request: SWB's message, the workflow input, and the statuses it goes through.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The message SWB publishes when a researcher submits an egress request.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SwbMessage {
    /// Unique id of the request.
    pub id: String,
    /// The egress store (SWB uses the workspace id).
    pub egress_store_id: String,
    /// Display name of the store.
    pub egress_store_name: String,
    /// Workspace the data comes from.
    pub workspace_id: String,
    /// Project of the workspace.
    pub project_id: String,
    /// Egress store bucket.
    pub s3_bucketname: String,
    /// Prefix of the store in that bucket.
    pub s3_bucketpath: String,
    /// `arn:aws:s3:::<bucket>/<key>` of the object list.
    pub egress_store_object_list_location: String,
    /// `PENDING` at submission.
    pub status: String,
    /// Submission time.
    pub created_at: String,
    /// Last update time.
    pub updated_at: String,
    /// SWB user id of the requester.
    pub created_by: String,
    /// SWB user id of the last updater.
    pub updated_by: String,
    /// Requester's e-mail.
    pub created_by_email: String,
    /// Last updater's e-mail.
    pub updated_by_email: String,
    /// Submission counter of the store.
    pub ver: u64,
}

/// Why a message cannot become a request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MessageError {
    /// Not JSON of the expected shape.
    #[error("the SWB message is not a valid egress request: {0}")]
    Malformed(String),
    /// A field is empty or unusable.
    #[error("the SWB message field `{field}` is invalid: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// An S3 object location parsed from `arn:aws:s3:::bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// Bucket name.
    pub bucket: String,
    /// Object key.
    pub key: String,
}

impl S3Location {
    /// Parses an S3 object ARN.
    pub fn from_arn(arn: &str) -> Option<Self> {
        let rest = arn.strip_prefix("arn:")?;
        let (_partition, rest) = rest.split_once(':')?;
        let rest = rest.strip_prefix("s3:::")?;
        let (bucket, key) = rest.split_once('/')?;
        (!bucket.is_empty() && !key.is_empty()).then(|| S3Location {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

/// The request as the workflow carries it: the reviewer-facing fields taken from SWB's message.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct NewRequest {
    /// SWB's `id`.
    pub egress_request_id: String,
    /// SWB's `egress_store_name`.
    pub egress_store_name: String,
    /// SWB's `egress_store_id`.
    pub swb_egress_store_id: String,
    /// SWB's `project_id`.
    pub project_id: String,
    /// SWB's `workspace_id`.
    pub workspace_id: String,
    /// SWB's `created_by_email`.
    pub requested_by: String,
    /// SWB's `created_by`.
    pub requested_by_user_id: String,
    /// SWB's `created_at`.
    pub requested_dt: String,
    /// SWB's `updated_by_email`.
    pub updated_by: String,
    /// SWB's `updated_at`.
    pub updated_dt: String,
    /// SWB's `s3_bucketname`.
    pub s3_egress_store_bucket: String,
    /// SWB's `s3_bucketpath`.
    pub s3_egress_store_bucket_path: String,
    /// SWB's `egress_store_object_list_location`.
    pub s3_egress_store_object_list_location: String,
    /// SWB's `ver`, as a decimal string.
    pub s3_swb_object_metadata_version: String,
}

/// The input of one workflow execution.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct WorkflowInput {
    /// The request.
    pub request: NewRequest,
}

/// Ids become S3 key segments and execution names: keep them to a safe alphabet.
fn check_id(field: &'static str, value: &str) -> Result<(), MessageError> {
    if super::objects::is_safe_id(value) {
        return Ok(());
    }
    let reason = if (1..=80).contains(&value.len()) {
        "may hold only letters, digits, `-` and `_`"
    } else {
        "must be 1 to 80 characters"
    };
    Err(MessageError::Field { field, reason })
}

fn check_present(field: &'static str, value: &str) -> Result<(), MessageError> {
    if value.trim().is_empty() {
        return Err(MessageError::Field {
            field,
            reason: "must not be empty",
        });
    }
    Ok(())
}

impl SwbMessage {
    /// Parses the SNS `Message` string.
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        let message: SwbMessage =
            serde_json::from_str(text).map_err(|e| MessageError::Malformed(e.to_string()))?;
        message.validate()?;
        Ok(message)
    }

    fn validate(&self) -> Result<(), MessageError> {
        check_id("id", &self.id)?;
        check_id("egress_store_id", &self.egress_store_id)?;
        check_id("workspace_id", &self.workspace_id)?;
        check_present("project_id", &self.project_id)?;
        check_present("egress_store_name", &self.egress_store_name)?;
        check_present("s3_bucketname", &self.s3_bucketname)?;
        check_present("created_by_email", &self.created_by_email)?;
        check_present("created_at", &self.created_at)?;
        // The prefix bounds what may be staged: it must be this store's own, so a message
        // cannot reach into another store of the shared bucket.
        if self.s3_bucketpath != format!("{}/", self.egress_store_id) {
            return Err(MessageError::Field {
                field: "s3_bucketpath",
                reason: "must be the egress store id followed by `/`",
            });
        }
        match S3Location::from_arn(&self.egress_store_object_list_location) {
            None => Err(MessageError::Field {
                field: "egress_store_object_list_location",
                reason: "must be an S3 object ARN `arn:aws:s3:::<bucket>/<key>`",
            }),
            Some(location) if !location.key.starts_with(&self.s3_bucketpath) => {
                Err(MessageError::Field {
                    field: "egress_store_object_list_location",
                    reason: "must name an object list under the egress store id",
                })
            }
            Some(_) => Ok(()),
        }
    }

    /// The workflow input for this message.
    pub fn into_input(self) -> WorkflowInput {
        WorkflowInput {
            request: NewRequest {
                egress_request_id: self.id,
                egress_store_name: self.egress_store_name,
                swb_egress_store_id: self.egress_store_id,
                project_id: self.project_id,
                workspace_id: self.workspace_id,
                requested_by: self.created_by_email,
                requested_by_user_id: self.created_by,
                requested_dt: self.created_at,
                updated_by: self.updated_by_email,
                updated_dt: self.updated_at,
                s3_egress_store_bucket: self.s3_bucketname,
                s3_egress_store_bucket_path: self.s3_bucketpath,
                s3_egress_store_object_list_location: self.egress_store_object_list_location,
                s3_swb_object_metadata_version: self.ver.to_string(),
            },
        }
    }
}

/// `egress_status` of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Received; staged; waiting for the first group.
    Processing,
    /// The first group approved; waiting for the second.
    Igapproved,
    /// Both groups approved.
    Ritapproved,
    /// A group rejected.
    Rejected,
    /// The workflow failed; staged data was removed.
    Failed,
    /// A review was not decided in time; staged data was removed.
    Expired,
}

impl Status {
    /// The stored and displayed string.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Processing => "PROCESSING",
            Status::Igapproved => "IGAPPROVED",
            Status::Ritapproved => "RITAPPROVED",
            Status::Rejected => "REJECTED",
            Status::Failed => "FAILED",
            Status::Expired => "EXPIRED",
        }
    }

    /// The status a request must have while the given stage (1 or 2) waits.
    pub fn awaiting(stage: u8) -> Option<Status> {
        match stage {
            1 => Some(Status::Processing),
            2 => Some(Status::Igapproved),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Status::Processing,
            Status::Igapproved,
            Status::Ritapproved,
            Status::Rejected,
            Status::Failed,
            Status::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or_else(|| format!("unknown status `{s}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const FIXTURE: &str = include_str!("../../tests/fixtures/swb_message.json");

    #[test]
    fn maps_swb_message_to_request_fields() {
        let input = SwbMessage::parse(FIXTURE).unwrap().into_input();
        let r = input.request;
        assert_eq!(r.egress_request_id, "6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11");
        assert_eq!(r.swb_egress_store_id, "ws-7f3a9c");
        assert_eq!(r.requested_by, "researcher@example.org");
        assert_eq!(r.updated_by, "researcher@example.org");
        assert_eq!(r.s3_egress_store_bucket_path, "ws-7f3a9c/");
        assert_eq!(r.s3_swb_object_metadata_version, "3");
    }

    #[test]
    fn workflow_input_round_trips() {
        let input = SwbMessage::parse(FIXTURE).unwrap().into_input();
        let text = serde_json::to_string(&input).unwrap();
        assert_eq!(serde_json::from_str::<WorkflowInput>(&text).unwrap(), input);
    }

    #[test]
    fn ver_as_string_is_refused() {
        let text = FIXTURE.replace("\"ver\": 3", "\"ver\": \"3\"");
        assert!(matches!(
            SwbMessage::parse(&text),
            Err(MessageError::Malformed(_))
        ));
    }

    #[test]
    fn id_with_path_characters_is_refused() {
        let text = FIXTURE.replace("6e1a5bd2-3c6f-4b4e-9a55-0b6c1f0e6f11", "../evil");
        assert_eq!(
            SwbMessage::parse(&text).unwrap_err(),
            MessageError::Field {
                field: "id",
                reason: "may hold only letters, digits, `-` and `_`"
            }
        );
    }

    #[test]
    fn object_list_location_must_be_an_s3_arn() {
        let text = FIXTURE.replace("arn:aws:s3:::swb-notifications", "s3://swb-notifications");
        assert!(matches!(
            SwbMessage::parse(&text),
            Err(MessageError::Field {
                field: "egress_store_object_list_location",
                ..
            })
        ));
    }

    #[test]
    fn store_prefix_must_be_the_stores_own() {
        for prefix in ["", "ws-other/", "ws-7f3a9", "ws-7f3a9c"] {
            let text = FIXTURE.replace(
                "\"s3_bucketpath\": \"ws-7f3a9c/\"",
                &format!("\"s3_bucketpath\": \"{prefix}\""),
            );
            assert!(
                matches!(
                    SwbMessage::parse(&text),
                    Err(MessageError::Field {
                        field: "s3_bucketpath",
                        ..
                    })
                ),
                "prefix `{prefix}` was accepted"
            );
        }
    }

    #[test]
    fn object_list_must_belong_to_the_store() {
        let text = FIXTURE.replace(
            "swb-notifications/ws-7f3a9c/",
            "swb-notifications/ws-other/",
        );
        assert!(matches!(
            SwbMessage::parse(&text),
            Err(MessageError::Field {
                field: "egress_store_object_list_location",
                ..
            })
        ));
    }

    #[test]
    fn parses_s3_arns() {
        assert_eq!(
            S3Location::from_arn("arn:aws:s3:::b/dir/k v.json"),
            Some(S3Location {
                bucket: "b".into(),
                key: "dir/k v.json".into()
            })
        );
        assert_eq!(S3Location::from_arn("arn:aws:s3:::b/"), None);
        assert_eq!(S3Location::from_arn("arn:aws:sqs:::b/k"), None);
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            "PROCESSING",
            "IGAPPROVED",
            "RITAPPROVED",
            "REJECTED",
            "FAILED",
            "EXPIRED",
        ] {
            assert_eq!(s.parse::<Status>().unwrap().as_str(), s);
        }
    }
}
