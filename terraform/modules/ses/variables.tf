variable "configuration_set_name" {
  description = "Name of the configuration set every e-mail is sent with."
  type        = string
}

variable "sender_email" {
  description = "Sender (From) address of the requester e-mails."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.sender_email))
    error_message = "sender_email must be an e-mail address."
  }
}

variable "sender_domain" {
  description = "Domain to verify as the sending identity (with Easy DKIM) instead of the single sender address; it must be the domain of sender_email. null verifies the address."
  type        = string
  default     = null

  validation {
    condition     = var.sender_domain == null ? true : endswith(lower(var.sender_email), "@${lower(var.sender_domain)}")
    error_message = "sender_domain must be the domain of sender_email."
  }
}

variable "tags" {
  description = "Tags applied to the identity and the configuration set."
  type        = map(string)
  default     = {}
}
