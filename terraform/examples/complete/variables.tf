variable "region" {
  description = "Region to deploy to: the one where Service Workbench and the datalake live."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "swb-egress"
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "lambda_artifact_path" {
  description = "Path of the zip built by scripts/build-lambda."
  type        = string
}

variable "swb_egress_store_bucket" {
  description = "Service Workbench's egress store bucket and its KMS key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "swb_notification_bucket" {
  description = "Service Workbench's notification bucket and its KMS key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "swb_egress_store_table_name" {
  description = "Name of Service Workbench's egress store table."
  type        = string
}

variable "swb_topic_arn" {
  description = "ARN of Service Workbench's egress request topic."
  type        = string
}

variable "datalake_bucket" {
  description = "The datalake bucket that receives approved archives, and its KMS key."
  type = object({
    name        = string
    kms_key_arn = string
  })
}

variable "reviewer_groups" {
  description = "The two reviewer groups in stage order."
  type = list(object({
    name                = string
    description         = optional(string)
    notification_emails = optional(list(string), [])
  }))
}

variable "review_timeout_seconds" {
  description = "How long each review stage waits for a decision."
  type        = number
  default     = 1814400
}

variable "max_downloads" {
  description = "How many times approved data may be downloaded."
  type        = number
  default     = 3
}

variable "presigned_url_ttl_seconds" {
  description = "Lifetime of a presigned download URL."
  type        = number
  default     = 300
}

variable "egress_app_url" {
  description = "URL of the reviewer web app."
  type        = string
}

variable "administrator_email" {
  description = "Address that receives failed requests and alarms."
  type        = string
}

variable "sender_email" {
  description = "Sender address of the e-mails to requesters."
  type        = string
}

variable "cognito" {
  description = "Sign-in settings of the reviewers (see the root module's cognito input)."
  type = object({
    domain_prefix                       = string
    mfa_configuration                   = optional(string, "ON")
    password_minimum_length             = optional(number, 14)
    additional_callback_urls            = optional(list(string), [])
    additional_logout_urls              = optional(list(string), [])
    pre_token_generation_lambda_version = optional(string, "V1_0")
    saml_identity_provider = optional(object({
      name              = string
      metadata_url      = optional(string)
      metadata_document = optional(string)
      email_attribute   = optional(string, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
      groups_attribute  = string
      sign_out_enabled  = optional(bool, false)
    }))
  })
}

variable "deletion_protection_enabled" {
  description = "Whether the requests table and the user pool refuse deletion."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "How long logs are kept."
  type        = number
  default     = 365
}
