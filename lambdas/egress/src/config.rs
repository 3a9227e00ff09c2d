//! Typed settings of every role, read from the environment in one place.
//!
//! The environment variable names below are the single list shared with Terraform
//! (`terraform/modules/lambda`) and the local stack (`scripts/local-stack`); the test
//! `tests/names.rs` checks both against [`Role::variables`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Environment variable that selects the role the binary serves.
pub const ROLE: &str = "EGRESS_ROLE";
/// ARN of the egress workflow state machine.
pub const STATE_MACHINE_ARN: &str = "STATE_MACHINE_ARN";
/// Name of the egress requests table.
pub const REQUESTS_TABLE: &str = "REQUESTS_TABLE";
/// SWB's egress store bucket: the only bucket objects are staged from.
pub const SWB_EGRESS_STORE_BUCKET: &str = "SWB_EGRESS_STORE_BUCKET";
/// SWB's notification bucket: the only bucket object lists are read from.
pub const SWB_NOTIFICATION_BUCKET: &str = "SWB_NOTIFICATION_BUCKET";
/// Name of the staging bucket.
pub const STAGING_BUCKET: &str = "STAGING_BUCKET";
/// ARN of the KMS key that encrypts staged objects.
pub const STAGING_KMS_KEY_ARN: &str = "STAGING_KMS_KEY_ARN";
/// Name of the datalake bucket that receives approved archives.
pub const DATALAKE_BUCKET: &str = "DATALAKE_BUCKET";
/// ARN of the KMS key that encrypts approved archives.
pub const DATALAKE_KMS_KEY_ARN: &str = "DATALAKE_KMS_KEY_ARN";
/// Directory for scratch files of the publish role (the EFS mount); unset means the temp dir.
pub const SCRATCH_DIR: &str = "SCRATCH_DIR";
/// Reviewer groups in stage order, comma separated.
pub const REVIEWER_GROUPS: &str = "REVIEWER_GROUPS";
/// How many times approved data may be downloaded.
pub const MAX_DOWNLOADS: &str = "MAX_DOWNLOADS";
/// Lifetime of a presigned download URL in seconds.
pub const PRESIGNED_URL_TTL_SECONDS: &str = "PRESIGNED_URL_TTL_SECONDS";
/// Objects larger than this are copied part by part.
pub const MULTIPART_COPY_THRESHOLD_BYTES: &str = "MULTIPART_COPY_THRESHOLD_BYTES";
/// Part size of multipart copies and uploads.
pub const MULTIPART_PART_SIZE_BYTES: &str = "MULTIPART_PART_SIZE_BYTES";
/// Sender ("From") address of the requester's e-mail.
pub const SENDER_EMAIL: &str = "SENDER_EMAIL";
/// URL of the reviewer web app, quoted in e-mails.
pub const EGRESS_APP_URL: &str = "EGRESS_APP_URL";
/// SES configuration set used for every e-mail (optional).
pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";

/// The role this binary serves, chosen by [`ROLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Starts one workflow execution per SWB egress request (SNS subscriber).
    StartWorkflow,
    /// Copies the submitted object versions into the staging bucket.
    StageObjects,
    /// Stores the task token of a waiting review on the request.
    AwaitReview,
    /// Deletes the staged objects of a request that ends without publishing.
    DiscardStaged,
    /// Zips approved staged objects into the datalake.
    PublishApproved,
    /// E-mails the requester the outcome.
    NotifyRequester,
    /// Resolves the GraphQL API.
    Api,
    /// Cognito pre-token-generation trigger.
    PreToken,
}

impl Role {
    /// Every role, in the order of the workflow.
    pub const ALL: [Role; 8] = [
        Role::StartWorkflow,
        Role::StageObjects,
        Role::AwaitReview,
        Role::DiscardStaged,
        Role::PublishApproved,
        Role::NotifyRequester,
        Role::Api,
        Role::PreToken,
    ];

    /// The value of [`ROLE`] that selects this role.
    pub fn name(self) -> &'static str {
        match self {
            Role::StartWorkflow => "start-workflow",
            Role::StageObjects => "stage-objects",
            Role::AwaitReview => "await-review",
            Role::DiscardStaged => "discard-staged",
            Role::PublishApproved => "publish-approved",
            Role::NotifyRequester => "notify-requester",
            Role::Api => "api",
            Role::PreToken => "pre-token",
        }
    }

    /// Environment variables this role reads, besides [`ROLE`].
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            Role::StartWorkflow => &[STATE_MACHINE_ARN],
            Role::StageObjects => &[
                SWB_EGRESS_STORE_BUCKET,
                SWB_NOTIFICATION_BUCKET,
                REQUESTS_TABLE,
                STAGING_BUCKET,
                STAGING_KMS_KEY_ARN,
                MULTIPART_COPY_THRESHOLD_BYTES,
                MULTIPART_PART_SIZE_BYTES,
            ],
            Role::AwaitReview => &[REQUESTS_TABLE],
            Role::DiscardStaged => &[STAGING_BUCKET],
            Role::PublishApproved => &[
                REQUESTS_TABLE,
                STAGING_BUCKET,
                DATALAKE_BUCKET,
                DATALAKE_KMS_KEY_ARN,
                SCRATCH_DIR,
                MULTIPART_PART_SIZE_BYTES,
            ],
            Role::NotifyRequester => &[
                REQUESTS_TABLE,
                SENDER_EMAIL,
                EGRESS_APP_URL,
                SES_CONFIGURATION_SET,
            ],
            Role::Api => &[
                REQUESTS_TABLE,
                DATALAKE_BUCKET,
                REVIEWER_GROUPS,
                MAX_DOWNLOADS,
                PRESIGNED_URL_TTL_SECONDS,
            ],
            Role::PreToken => &[REVIEWER_GROUPS],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.name() == s)
            .ok_or_else(|| ConfigError::UnknownRole {
                value: s.to_owned(),
                valid: Role::ALL.map(Role::name).join(", "),
            })
    }
}

/// A missing or malformed setting, named.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable `{0}` is not set")]
    Missing(&'static str),
    /// A variable is set to something unusable.
    #[error("environment variable `{name}` is invalid: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// [`ROLE`] names no role.
    #[error("unknown role `{value}` in `EGRESS_ROLE`; valid roles: {valid}")]
    UnknownRole {
        /// What was given.
        value: String,
        /// The valid names.
        valid: String,
    },
}

/// Reads variables through a lookup function, so tests need not touch the process environment.
pub struct Env<F: Fn(&str) -> Option<String>>(pub F);

impl Env<fn(&str) -> Option<String>> {
    /// The process environment.
    pub fn process() -> Self {
        Env(|name| std::env::var(name).ok())
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// An optional variable; empty counts as unset.
    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// A required variable.
    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    /// An optional number with a default.
    pub fn number_or(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.optional(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                name,
                reason: format!("`{v}` is not a whole number"),
            }),
        }
    }
}

/// The two reviewer groups, in stage order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerGroups {
    /// Stage 1 (information governance): reviews first and downloads approved data.
    pub first: String,
    /// Stage 2 (research IT).
    pub second: String,
}

impl ReviewerGroups {
    /// Parses `first,second`.
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let groups: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .collect();
        match groups.as_slice() {
            [first, second] if first != second => Ok(ReviewerGroups {
                first: (*first).to_owned(),
                second: (*second).to_owned(),
            }),
            _ => Err(ConfigError::Invalid {
                name: REVIEWER_GROUPS,
                reason: format!("expected two distinct comma-separated groups, got `{value}`"),
            }),
        }
    }

    /// The group of a stage (1 or 2).
    pub fn of_stage(&self, stage: u8) -> Option<&str> {
        match stage {
            1 => Some(&self.first),
            2 => Some(&self.second),
            _ => None,
        }
    }
}

/// Settings of the stage-objects role.
#[derive(Debug, Clone)]
pub struct StagingSettings {
    /// SWB's egress store bucket; a request naming another bucket is refused.
    pub swb_egress_store_bucket: String,
    /// SWB's notification bucket; an object list elsewhere is refused.
    pub swb_notification_bucket: String,
    /// Requests table, where the staged summary is recorded.
    pub requests_table: String,
    /// Staging bucket.
    pub staging_bucket: String,
    /// KMS key of staged objects; unset leaves the bucket default.
    pub staging_kms_key_arn: Option<String>,
    /// Objects larger than this are copied part by part (at most 5 GiB, S3's single-copy limit).
    pub multipart_threshold_bytes: u64,
    /// Part size of multipart copies.
    pub part_size_bytes: u64,
}

/// Largest object a single CopyObject may copy.
pub const MAX_SINGLE_COPY_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Default part size of multipart copies and uploads.
pub const DEFAULT_PART_SIZE_BYTES: u64 = 256 * 1024 * 1024;
/// S3's smallest part (except the last).
pub const MIN_PART_SIZE_BYTES: u64 = 5 * 1024 * 1024;

fn part_size<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<u64, ConfigError> {
    let size = env.number_or(MULTIPART_PART_SIZE_BYTES, DEFAULT_PART_SIZE_BYTES)?;
    if !(MIN_PART_SIZE_BYTES..=MAX_SINGLE_COPY_BYTES).contains(&size) {
        return Err(ConfigError::Invalid {
            name: MULTIPART_PART_SIZE_BYTES,
            reason: format!("{size} is outside 5 MiB..=5 GiB"),
        });
    }
    Ok(size)
}

impl StagingSettings {
    /// Reads the settings.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let threshold = env.number_or(MULTIPART_COPY_THRESHOLD_BYTES, MAX_SINGLE_COPY_BYTES)?;
        if threshold > MAX_SINGLE_COPY_BYTES {
            return Err(ConfigError::Invalid {
                name: MULTIPART_COPY_THRESHOLD_BYTES,
                reason: format!("{threshold} exceeds S3's single-copy limit of 5 GiB"),
            });
        }
        Ok(StagingSettings {
            swb_egress_store_bucket: env.required(SWB_EGRESS_STORE_BUCKET)?,
            swb_notification_bucket: env.required(SWB_NOTIFICATION_BUCKET)?,
            requests_table: env.required(REQUESTS_TABLE)?,
            staging_bucket: env.required(STAGING_BUCKET)?,
            staging_kms_key_arn: env.optional(STAGING_KMS_KEY_ARN),
            multipart_threshold_bytes: threshold,
            part_size_bytes: part_size(env)?,
        })
    }
}

/// Settings of the publish-approved role.
#[derive(Debug, Clone)]
pub struct PublishSettings {
    /// Requests table (decisions for the manifest, archive location).
    pub requests_table: String,
    /// Staging bucket.
    pub staging_bucket: String,
    /// Datalake bucket.
    pub datalake_bucket: String,
    /// KMS key of the archive.
    pub datalake_kms_key_arn: String,
    /// Scratch directory; the temp dir when unset.
    pub scratch_dir: PathBuf,
    /// Part size of the archive upload.
    pub part_size_bytes: u64,
}

impl PublishSettings {
    /// Reads the settings.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(PublishSettings {
            requests_table: env.required(REQUESTS_TABLE)?,
            staging_bucket: env.required(STAGING_BUCKET)?,
            datalake_bucket: env.required(DATALAKE_BUCKET)?,
            datalake_kms_key_arn: env.required(DATALAKE_KMS_KEY_ARN)?,
            scratch_dir: env
                .optional(SCRATCH_DIR)
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
            part_size_bytes: part_size(env)?,
        })
    }
}

/// Settings of the notify-requester role.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Requests table.
    pub requests_table: String,
    /// "From" address.
    pub sender_email: String,
    /// Web app URL quoted in the message.
    pub egress_app_url: String,
    /// SES configuration set.
    pub configuration_set: Option<String>,
}

impl MailSettings {
    /// Reads the settings.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        Ok(MailSettings {
            requests_table: env.required(REQUESTS_TABLE)?,
            sender_email: env.required(SENDER_EMAIL)?,
            egress_app_url: env.required(EGRESS_APP_URL)?,
            configuration_set: env.optional(SES_CONFIGURATION_SET),
        })
    }
}

/// Settings of the api role.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Requests table.
    pub requests_table: String,
    /// Datalake bucket holding approved archives.
    pub datalake_bucket: String,
    /// Reviewer groups in stage order.
    pub reviewer_groups: ReviewerGroups,
    /// Downloads allowed per approved request.
    pub max_downloads: u64,
    /// Lifetime of a presigned download URL.
    pub presigned_url_ttl: Duration,
}

impl ApiSettings {
    /// Reads the settings.
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let max_downloads = env.number_or(MAX_DOWNLOADS, 1)?;
        if max_downloads == 0 {
            return Err(ConfigError::Invalid {
                name: MAX_DOWNLOADS,
                reason: "must be at least 1".into(),
            });
        }
        let ttl = env.number_or(PRESIGNED_URL_TTL_SECONDS, 300)?;
        // SigV4 presigned URLs are valid for at most seven days.
        if !(1..=604_800).contains(&ttl) {
            return Err(ConfigError::Invalid {
                name: PRESIGNED_URL_TTL_SECONDS,
                reason: format!("{ttl} is outside 1..=604800"),
            });
        }
        Ok(ApiSettings {
            requests_table: env.required(REQUESTS_TABLE)?,
            datalake_bucket: env.required(DATALAKE_BUCKET)?,
            reviewer_groups: ReviewerGroups::parse(&env.required(REVIEWER_GROUPS)?)?,
            max_downloads,
            presigned_url_ttl: Duration::from_secs(ttl),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env(move |name: &str| map.get(name).cloned())
    }

    #[test]
    fn unknown_role_lists_valid_roles() {
        let err = "stager".parse::<Role>().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`stager`"), "{text}");
        for role in Role::ALL {
            assert!(text.contains(role.name()), "{text} lacks {role}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn reviewer_groups_need_two_distinct_names() {
        assert_eq!(
            ReviewerGroups::parse(" IG , RIT ").unwrap(),
            ReviewerGroups {
                first: "IG".into(),
                second: "RIT".into()
            }
        );
        assert!(ReviewerGroups::parse("IG").is_err());
        assert!(ReviewerGroups::parse("IG,IG").is_err());
        assert!(ReviewerGroups::parse("A,B,C").is_err());
    }

    #[test]
    fn api_settings_default_to_one_download_and_five_minutes() {
        let s = ApiSettings::from_env(&env(&[
            (REQUESTS_TABLE, "t"),
            (DATALAKE_BUCKET, "d"),
            (REVIEWER_GROUPS, "IG,RIT"),
        ]))
        .unwrap();
        assert_eq!(s.max_downloads, 1);
        assert_eq!(s.presigned_url_ttl, Duration::from_secs(300));
    }

    #[test]
    fn missing_variable_is_named() {
        let err = ApiSettings::from_env(&env(&[(REQUESTS_TABLE, "t")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable `DATALAKE_BUCKET` is not set"
        );
    }

    #[test]
    fn copy_threshold_above_five_gib_is_refused() {
        let err = StagingSettings::from_env(&env(&[
            (SWB_EGRESS_STORE_BUCKET, "e"),
            (SWB_NOTIFICATION_BUCKET, "n"),
            (REQUESTS_TABLE, "t"),
            (STAGING_BUCKET, "s"),
            (MULTIPART_COPY_THRESHOLD_BYTES, "6000000000"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains(MULTIPART_COPY_THRESHOLD_BYTES));
    }
}
