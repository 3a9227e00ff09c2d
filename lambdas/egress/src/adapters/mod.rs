//! Thin wrappers over the AWS SDK clients; the rules live in `domain`.

pub mod mail;
pub mod objects;
pub mod requests;
pub mod workflow;

use aws_sdk_dynamodb::error::SdkError;

/// Every SDK client, built once per cold start from one shared configuration.
#[derive(Clone, Debug)]
pub struct Clients {
    /// S3.
    pub s3: aws_sdk_s3::Client,
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// Step Functions.
    pub sfn: aws_sdk_sfn::Client,
    /// SES v2.
    pub sesv2: aws_sdk_sesv2::Client,
}

impl Clients {
    /// Loads the configuration the standard way (environment, profile, IMDS/container role;
    /// `AWS_ENDPOINT_URL` points every client at the local stack).
    pub async fn load() -> Self {
        let config = aws_config::load_from_env().await;
        // The local emulator serves buckets on its own host name, so path-style addressing is
        // needed there; on AWS the SDK's default virtual-hosted style is used.
        let force_path_style = std::env::var("AWS_ENDPOINT_URL").is_ok();
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(force_path_style)
            .build();
        Clients {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            sesv2: aws_sdk_sesv2::Client::new(&config),
        }
    }
}

/// Whether an SDK error is worth retrying: time-outs, dispatch failures, throttling and 5xx.
pub fn is_transient<E, R>(err: &SdkError<E, R>) -> bool
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
    R: std::fmt::Debug,
{
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or_default();
            code.contains("Throttl")
                || code.contains("TooManyRequests")
                || code == "SlowDown"
                || code == "RequestLimitExceeded"
                || code == "ProvisionedThroughputExceededException"
                || code == "InternalError"
                || code == "InternalServerError"
                || code == "ServiceUnavailable"
        }
        _ => false,
    }
}
