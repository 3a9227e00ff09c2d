//! SES v2: the requester's e-mail.

use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;

/// A failed send.
#[derive(Debug, thiserror::Error)]
#[error("ses SendEmail failed")]
pub struct MailError {
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
    transient: bool,
}

impl MailError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        self.transient
    }
}

/// One plain-text e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipients.
    pub to: Vec<String>,
    /// Copy recipients.
    pub cc: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Sends e-mail through SES v2.
#[derive(Clone, Debug)]
pub struct Mailer {
    client: Client,
    sender: String,
    configuration_set: Option<String>,
}

impl Mailer {
    /// A mailer sending from `sender`.
    pub fn new(client: Client, sender: String, configuration_set: Option<String>) -> Self {
        Mailer {
            client,
            sender,
            configuration_set,
        }
    }

    /// Sends the e-mail; returns SES's message id.
    pub async fn send(&self, email: &Email) -> Result<String, MailError> {
        let utf8 = |text: &str| Content::builder().data(text).charset("UTF-8").build();
        let subject = utf8(&email.subject).map_err(build_error)?;
        let body = utf8(&email.body).map_err(build_error)?;
        let out = self
            .client
            .send_email()
            .from_email_address(&self.sender)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(email.to.clone()))
                    .set_cc_addresses((!email.cc.is_empty()).then(|| email.cc.clone()))
                    .build(),
            )
            .content(
                EmailContent::builder()
                    .simple(
                        Message::builder()
                            .subject(subject)
                            .body(Body::builder().text(body).build())
                            .build(),
                    )
                    .build(),
            )
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|err: SdkError<_, _>| MailError {
                transient: super::is_transient(&err),
                source: Box::new(err),
            })?;
        Ok(out.message_id.unwrap_or_default())
    }
}

fn build_error(err: aws_sdk_sesv2::error::BuildError) -> MailError {
    MailError {
        source: Box::new(err),
        transient: false,
    }
}
