variable "siem_workspace_id" {
  type = string
}

variable "siem_categories" {
  type = list(string)
}
