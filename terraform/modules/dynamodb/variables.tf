variable "table_name" {
  description = "Name of the egress requests table."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the table."
  type        = string
}

variable "deletion_protection_enabled" {
  description = "Whether the table refuses deletion until protection is turned off."
  type        = bool
  default     = true
}

variable "point_in_time_recovery_period_in_days" {
  description = "How far back point-in-time recovery reaches."
  type        = number
  default     = 35

  validation {
    condition     = var.point_in_time_recovery_period_in_days >= 1 && var.point_in_time_recovery_period_in_days <= 35
    error_message = "point_in_time_recovery_period_in_days must be between 1 and 35."
  }
}

variable "tags" {
  description = "Tags applied to the table."
  type        = map(string)
  default     = {}
}
