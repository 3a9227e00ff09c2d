variable "name" {
  description = "Name of the user pool; the web app client is named after it."
  type        = string
}

variable "domain_prefix" {
  description = "Prefix of the hosted-UI domain (<domain_prefix>.auth.<region>.amazoncognito.com)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", var.domain_prefix)) && !strcontains(var.domain_prefix, "aws") && !strcontains(var.domain_prefix, "amazon") && !strcontains(var.domain_prefix, "cognito")
    error_message = "domain_prefix must be lowercase letters, digits and hyphens, and may not contain aws, amazon or cognito."
  }
}

variable "reviewer_groups" {
  description = "Reviewer groups in stage order; each becomes a user pool group."
  type = list(object({
    name        = string
    description = optional(string)
  }))
}

variable "mfa_configuration" {
  description = "Multi-factor authentication of local users: ON (required), OPTIONAL or OFF. Federated users authenticate at their identity provider."
  type        = string
  default     = "ON"

  validation {
    condition     = contains(["ON", "OPTIONAL", "OFF"], var.mfa_configuration)
    error_message = "mfa_configuration must be ON, OPTIONAL or OFF."
  }
}

variable "password_minimum_length" {
  description = "Minimum length of local users' passwords; upper and lower case letters, digits and symbols are always required."
  type        = number
  default     = 14

  validation {
    condition     = var.password_minimum_length >= 12 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be between 12 and 99."
  }
}

variable "temporary_password_validity_in_days" {
  description = "How long the temporary password of an invited user stays valid."
  type        = number
  default     = 3
}

variable "callback_urls" {
  description = "URLs the hosted UI may return to after sign-in (the web app)."
  type        = list(string)

  validation {
    condition     = length(var.callback_urls) > 0 && alltrue([for url in var.callback_urls : startswith(url, "https://") || startswith(url, "http://localhost")])
    error_message = "callback_urls needs at least one URL, and each must use https (http only for localhost)."
  }
}

variable "logout_urls" {
  description = "URLs the hosted UI may return to after sign-out."
  type        = list(string)
}

variable "token_validity" {
  description = "Lifetimes of the web app client's tokens."
  type = object({
    access_token_in_minutes = optional(number, 60)
    id_token_in_minutes     = optional(number, 60)
    refresh_token_in_days   = optional(number, 1)
  })
  default = {}
}

variable "pre_token_generation_function_arn" {
  description = "ARN of the pre-token-generation function that maps federated users' custom:groups to reviewer groups."
  type        = string
}

variable "pre_token_generation_lambda_version" {
  description = "Event version Cognito sends the pre-token-generation function. V2_0 and V3_0 need the Essentials or Plus feature plan."
  type        = string
  default     = "V1_0"

  validation {
    condition     = contains(["V1_0", "V2_0", "V3_0"], var.pre_token_generation_lambda_version)
    error_message = "pre_token_generation_lambda_version must be V1_0, V2_0 or V3_0."
  }
}

variable "saml_identity_provider" {
  description = "Optional SAML identity provider: its name, its metadata (URL or document), and the SAML attributes mapped to email and custom:groups. null configures none."
  type = object({
    name              = string
    metadata_url      = optional(string)
    metadata_document = optional(string)
    email_attribute   = optional(string, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
    groups_attribute  = string
    sign_out_enabled  = optional(bool, false)
  })
  default = null

  validation {
    condition     = var.saml_identity_provider == null ? true : (try(var.saml_identity_provider.metadata_url, null) == null) != (try(var.saml_identity_provider.metadata_document, null) == null)
    error_message = "saml_identity_provider needs exactly one of metadata_url and metadata_document."
  }
}

variable "deletion_protection_enabled" {
  description = "Whether the user pool refuses deletion until protection is turned off."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to the user pool."
  type        = map(string)
  default     = {}
}
