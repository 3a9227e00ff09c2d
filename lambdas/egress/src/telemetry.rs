//! Logging: JSON when Lambda asks for it, readable text otherwise.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once. Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON` and
/// `AWS_LAMBDA_LOG_LEVEL` select the format and level; `RUST_LOG` overrides the level.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .unwrap_or_else(|_| "INFO".into())
        .to_lowercase();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let result = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .try_init()
    };
    // A second init (the local gateway serves every role in one process) keeps the first.
    drop(result);
}
