variable "name_prefix" {
  description = "Prefix of the topic names."
  type        = string
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key that encrypts the topics."
  type        = string
}

variable "reviewer_groups" {
  description = "Reviewer groups in stage order; each gets a notification topic, and its e-mail addresses are subscribed to it."
  type = list(object({
    name                = string
    notification_emails = optional(list(string), [])
  }))

  validation {
    condition     = length(var.reviewer_groups) == 2
    error_message = "The workflow has exactly two review stages, so reviewer_groups must have two entries."
  }
}

variable "administrator_emails" {
  description = "Addresses subscribed to the administrator topic, which receives failed requests and alarms."
  type        = list(string)
  default     = []
}

variable "swb_topic_arn" {
  description = "ARN of Service Workbench's topic that announces egress requests."
  type        = string
}

variable "start_workflow_function_arn" {
  description = "ARN of the function subscribed to Service Workbench's topic."
  type        = string
}

variable "tags" {
  description = "Tags applied to the topics."
  type        = map(string)
  default     = {}
}
