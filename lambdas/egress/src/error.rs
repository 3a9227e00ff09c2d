//! The small fixed set of error kinds that reach Lambda and the state machine.

use lambda_runtime::Diagnostic;

/// How the state machine should treat a failed invocation: the ASL retries `Transient` and
/// catches everything else into the failure path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Worth retrying: throttling, timeouts, 5xx from a service.
    Transient,
    /// The event or a document it names is malformed.
    InvalidInput,
    /// Something the request refers to does not exist (object version, request item).
    NotFound,
    /// The request is not in a state that allows this step.
    Conflict,
    /// Anything else: a bug or a misconfiguration.
    Internal,
}

impl ErrorKind {
    /// The `errorType` string Lambda reports and the ASL matches.
    pub fn error_type(self) -> &'static str {
        match self {
            ErrorKind::Transient => "Transient",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Internal => "Internal",
        }
    }
}

/// Implemented by every role's error type.
pub trait Classify: std::error::Error {
    /// The kind reported to Lambda.
    fn kind(&self) -> ErrorKind;
}

/// Turns a role error into the diagnostic Lambda reports, keeping the whole source chain in
/// the message.
pub fn diagnostic<E: Classify>(err: &E) -> Diagnostic {
    Diagnostic {
        error_type: err.kind().error_type().to_owned(),
        error_message: chain(err),
    }
}

/// `err: source: source ...` on one line.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}
