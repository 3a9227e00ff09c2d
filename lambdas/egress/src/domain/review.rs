//! Who may decide which review stage, and who may download approved data.

use super::request::Status;
use crate::config::ReviewerGroups;

/// The longest reason kept with a decision.
pub const MAX_REASON_CHARS: usize = 2000;

/// A verified caller: taken from the token's claims, never from input fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token subject.
    pub subject: String,
    /// The user name shown as the reviewer.
    pub name: String,
    /// The verified e-mail address.
    pub email: String,
    /// Groups from `cognito:groups`.
    pub groups: Vec<String>,
}

impl Caller {
    /// Whether the caller belongs to a group.
    pub fn is_in(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    fn is(&self, email: Option<&str>) -> bool {
        email.is_some_and(|e| e.trim().eq_ignore_ascii_case(self.email.trim()))
    }
}

/// A stage's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The data may go on.
    Approved,
    /// The data stops here.
    Rejected,
}

impl Verdict {
    /// The stored string.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "APPROVED",
            Verdict::Rejected => "REJECTED",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "APPROVED" => Some(Verdict::Approved),
            "REJECTED" => Some(Verdict::Rejected),
            _ => None,
        }
    }
}

/// The stored state of a request that the rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewState {
    /// `egress_status`.
    pub status: Option<Status>,
    /// The stage waiting now (1 or 2), if any.
    pub current_stage: Option<u8>,
    /// The opaque handle of the waiting stage.
    pub review_handle: Option<String>,
    /// Requester's e-mail.
    pub requested_by: String,
    /// E-mail of the stage-1 reviewer, once decided.
    pub first_reviewer_email: Option<String>,
    /// Whether the approved archive has been published.
    pub archive_published: bool,
}

/// The stage fields of an `updateRequest` input.
#[derive(Debug, Clone, Default)]
pub struct StageInput {
    /// `ig_reviewer_1_decision`.
    pub first_decision: Option<String>,
    /// `ig_reviewer_1_reason`.
    pub first_reason: Option<String>,
    /// `rit_reviewer_2_decision`.
    pub second_decision: Option<String>,
    /// `rit_reviewer_2_reason`.
    pub second_reason: Option<String>,
}

/// A decision the rules accepted, to be written conditionally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The stage decided (1 or 2).
    pub stage: u8,
    /// The verdict.
    pub verdict: Verdict,
    /// The reason, trimmed and bounded.
    pub reason: String,
    /// The status the request takes.
    pub new_status: Status,
}

impl Decision {
    /// Prefix of the stage's fields: `ig_reviewer_1` or `rit_reviewer_2`.
    pub fn field_prefix(&self) -> &'static str {
        stage_prefix(self.stage)
    }
}

/// Prefix of a stage's reviewer fields.
pub fn stage_prefix(stage: u8) -> &'static str {
    if stage == 1 {
        "ig_reviewer_1"
    } else {
        "rit_reviewer_2"
    }
}

/// Why a decision or download is refused. The messages go to API callers as they are.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReviewError {
    /// The caller is in no reviewer group.
    #[error("you are not a member of a reviewer group")]
    NotAReviewer,
    /// The request does not exist.
    #[error("egress request `{0}` does not exist")]
    UnknownRequest(String),
    /// The id cannot be a request id.
    #[error("`egress_request_id` is not a request id (1 to 80 letters, digits, `-` or `_`)")]
    InvalidRequestId,
    /// No stage is waiting.
    #[error("egress request `{id}` is not waiting for a review (status `{status}`)")]
    NotWaiting {
        /// The request.
        id: String,
        /// Its status.
        status: String,
    },
    /// The handle is not the one of the waiting stage.
    #[error(
        "the review handle of egress request `{0}` is stale or wrong; reload the request list"
    )]
    StaleHandle(String),
    /// The caller is not in the group of the waiting stage.
    #[error("egress request `{id}` waits for a decision of group `{group}`, and you are not a member of it")]
    WrongGroup {
        /// The request.
        id: String,
        /// The waiting group.
        group: String,
    },
    /// The decision fields do not match the waiting stage.
    #[error("{0}")]
    InvalidDecision(String),
    /// Requesters do not review their own data.
    #[error("you requested egress request `{0}` and cannot review it")]
    OwnRequest(String),
    /// One person does not decide both stages.
    #[error(
        "you decided the first review of egress request `{0}`; the second needs another reviewer"
    )]
    SameReviewer(String),
    /// Another decision got there first.
    #[error(
        "egress request `{0}` was decided by someone else a moment ago; reload the request list"
    )]
    AlreadyDecided(String),
    /// Only the first group downloads.
    #[error("only members of group `{0}` may download approved data")]
    NotADownloader(String),
    /// Only fully approved, published data is downloaded.
    #[error("egress request `{id}` has no approved data to download (status `{status}`)")]
    NotDownloadable {
        /// The request.
        id: String,
        /// Its status.
        status: String,
    },
    /// The download allowance is spent.
    #[error("egress request `{id}` has been downloaded the maximum of {max} time(s)")]
    DownloadLimit {
        /// The request.
        id: String,
        /// The maximum.
        max: u64,
    },
    /// The workspace does not match the request.
    #[error("egress request `{0}` does not belong to the given workspace")]
    WrongWorkspace(String),
}

/// Checks a stage decision against the stored state and the caller.
pub fn decide(
    id: &str,
    state: &ReviewState,
    handle: &str,
    input: &StageInput,
    caller: &Caller,
    groups: &ReviewerGroups,
) -> Result<Decision, ReviewError> {
    if !caller.is_in(&groups.first) && !caller.is_in(&groups.second) {
        return Err(ReviewError::NotAReviewer);
    }
    let status_text = || {
        state
            .status
            .map(Status::as_str)
            .unwrap_or("UNKNOWN")
            .to_owned()
    };
    let stage = match (state.current_stage, state.status) {
        (Some(stage), Some(status)) if Status::awaiting(stage) == Some(status) => stage,
        _ => {
            return Err(ReviewError::NotWaiting {
                id: id.into(),
                status: status_text(),
            })
        }
    };
    let group = groups.of_stage(stage).unwrap_or_default();
    if !caller.is_in(group) {
        return Err(ReviewError::WrongGroup {
            id: id.into(),
            group: group.into(),
        });
    }
    if state.review_handle.as_deref() != Some(handle) {
        return Err(ReviewError::StaleHandle(id.into()));
    }
    let (mine, mine_reason, other, other_name) = match stage {
        1 => (
            &input.first_decision,
            &input.first_reason,
            &input.second_decision,
            "rit_reviewer_2_decision",
        ),
        _ => (
            &input.second_decision,
            &input.second_reason,
            &input.first_decision,
            "ig_reviewer_1_decision",
        ),
    };
    let field = format!("{}_decision", stage_prefix(stage));
    if other.as_deref().is_some_and(|v| !v.trim().is_empty()) {
        return Err(ReviewError::InvalidDecision(format!(
            "egress request `{id}` waits for stage {stage}; set `{field}`, not `{other_name}`"
        )));
    }
    let verdict = match mine.as_deref() {
        Some(v) => Verdict::parse(v).ok_or_else(|| {
            ReviewError::InvalidDecision(format!("`{field}` must be `APPROVED` or `REJECTED`"))
        })?,
        None => {
            return Err(ReviewError::InvalidDecision(format!(
                "egress request `{id}` waits for stage {stage}; `{field}` is required"
            )))
        }
    };
    if caller.is(Some(&state.requested_by)) {
        return Err(ReviewError::OwnRequest(id.into()));
    }
    if stage == 2 && caller.is(state.first_reviewer_email.as_deref()) {
        return Err(ReviewError::SameReviewer(id.into()));
    }
    let reason: String = mine_reason
        .as_deref()
        .unwrap_or("")
        .trim()
        .chars()
        .take(MAX_REASON_CHARS)
        .collect();
    let new_status = match (stage, verdict) {
        (_, Verdict::Rejected) => Status::Rejected,
        (1, Verdict::Approved) => Status::Igapproved,
        (_, Verdict::Approved) => Status::Ritapproved,
    };
    Ok(Decision {
        stage,
        verdict,
        reason,
        new_status,
    })
}

/// Checks that a caller may download the approved data of a request; the count itself is
/// enforced atomically by the store.
pub fn may_download(
    id: &str,
    state: &ReviewState,
    caller: &Caller,
    groups: &ReviewerGroups,
) -> Result<(), ReviewError> {
    if !caller.is_in(&groups.first) {
        return Err(ReviewError::NotADownloader(groups.first.clone()));
    }
    if state.status != Some(Status::Ritapproved) || !state.archive_published {
        let status = state.status.map(Status::as_str).unwrap_or("UNKNOWN");
        let status = if state.status == Some(Status::Ritapproved) {
            "RITAPPROVED, not yet published"
        } else {
            status
        };
        return Err(ReviewError::NotDownloadable {
            id: id.into(),
            status: status.into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> ReviewerGroups {
        ReviewerGroups {
            first: "IG".into(),
            second: "RIT".into(),
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

    fn waiting(stage: u8) -> ReviewState {
        ReviewState {
            status: Status::awaiting(stage),
            current_stage: Some(stage),
            review_handle: Some("h".into()),
            requested_by: "researcher@example.org".into(),
            first_reviewer_email: (stage == 2).then(|| "ig@example.org".into()),
            archive_published: false,
        }
    }

    fn first(decision: &str) -> StageInput {
        StageInput {
            first_decision: Some(decision.into()),
            first_reason: Some(" ok ".into()),
            ..Default::default()
        }
    }

    fn second(decision: &str) -> StageInput {
        StageInput {
            second_decision: Some(decision.into()),
            ..Default::default()
        }
    }

    #[test]
    fn first_group_approves_first_stage() {
        let d = decide(
            "r",
            &waiting(1),
            "h",
            &first("APPROVED"),
            &caller("ig@example.org", &["IG"]),
            &groups(),
        )
        .unwrap();
        assert_eq!(
            d,
            Decision {
                stage: 1,
                verdict: Verdict::Approved,
                reason: "ok".into(),
                new_status: Status::Igapproved
            }
        );
    }

    #[test]
    fn second_stage_approval_is_final() {
        let d = decide(
            "r",
            &waiting(2),
            "h",
            &second("approved"),
            &caller("rit@example.org", &["RIT"]),
            &groups(),
        )
        .unwrap();
        assert_eq!(d.new_status, Status::Ritapproved);
    }

    #[test]
    fn rejection_at_either_stage_rejects() {
        let d = decide(
            "r",
            &waiting(2),
            "h",
            &second("REJECTED"),
            &caller("rit@example.org", &["RIT"]),
            &groups(),
        )
        .unwrap();
        assert_eq!(d.new_status, Status::Rejected);
    }

    #[test]
    fn rejects_decision_from_wrong_group() {
        let err = decide(
            "r",
            &waiting(1),
            "h",
            &first("APPROVED"),
            &caller("rit@example.org", &["RIT"]),
            &groups(),
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::WrongGroup { .. }));
    }

    #[test]
    fn rejects_caller_outside_reviewer_groups() {
        let err = decide(
            "r",
            &waiting(1),
            "h",
            &first("APPROVED"),
            &caller("x@example.org", &["Other"]),
            &groups(),
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::NotAReviewer);
    }

    #[test]
    fn rejects_stale_handle() {
        let err = decide(
            "r",
            &waiting(1),
            "old",
            &first("APPROVED"),
            &caller("ig@example.org", &["IG"]),
            &groups(),
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::StaleHandle("r".into()));
    }

    #[test]
    fn rejects_decision_when_nothing_waits() {
        let mut state = waiting(1);
        state.status = Some(Status::Rejected);
        let err = decide(
            "r",
            &state,
            "h",
            &first("APPROVED"),
            &caller("ig@example.org", &["IG"]),
            &groups(),
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::NotWaiting { .. }));
    }

    #[test]
    fn rejects_other_stage_fields() {
        let err = decide(
            "r",
            &waiting(1),
            "h",
            &second("APPROVED"),
            &caller("ig@example.org", &["IG", "RIT"]),
            &groups(),
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::InvalidDecision(_)), "{err}");
    }

    #[test]
    fn rejects_unknown_verdict() {
        let err = decide(
            "r",
            &waiting(1),
            "h",
            &first("MAYBE"),
            &caller("ig@example.org", &["IG"]),
            &groups(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("APPROVED"), "{err}");
    }

    #[test]
    fn requester_cannot_review_own_request() {
        let err = decide(
            "r",
            &waiting(1),
            "h",
            &first("APPROVED"),
            &caller("Researcher@Example.org", &["IG"]),
            &groups(),
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::OwnRequest("r".into()));
    }

    #[test]
    fn one_person_cannot_decide_both_stages() {
        let err = decide(
            "r",
            &waiting(2),
            "h",
            &second("APPROVED"),
            &caller("ig@example.org", &["IG", "RIT"]),
            &groups(),
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::SameReviewer("r".into()));
    }

    #[test]
    fn reason_is_bounded() {
        let mut input = first("REJECTED");
        input.first_reason = Some("x".repeat(MAX_REASON_CHARS + 10));
        let d = decide(
            "r",
            &waiting(1),
            "h",
            &input,
            &caller("ig@example.org", &["IG"]),
            &groups(),
        )
        .unwrap();
        assert_eq!(d.reason.chars().count(), MAX_REASON_CHARS);
    }

    #[test]
    fn only_first_group_downloads_published_approved_data() {
        let mut state = waiting(2);
        state.status = Some(Status::Ritapproved);
        state.current_stage = None;
        let ig = caller("ig@example.org", &["IG"]);
        assert!(matches!(
            may_download("r", &state, &ig, &groups()),
            Err(ReviewError::NotDownloadable { .. })
        ));
        state.archive_published = true;
        assert_eq!(may_download("r", &state, &ig, &groups()), Ok(()));
        let rit = caller("rit@example.org", &["RIT"]);
        assert_eq!(
            may_download("r", &state, &rit, &groups()),
            Err(ReviewError::NotADownloader("IG".into()))
        );
        state.status = Some(Status::Igapproved);
        assert!(may_download("r", &state, &ig, &groups()).is_err());
    }
}
