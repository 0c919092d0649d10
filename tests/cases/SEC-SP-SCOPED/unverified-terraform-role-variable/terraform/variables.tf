variable "agent_role" {
  type = string
}
