variable "central_workspace_id" {
  type = string
}
