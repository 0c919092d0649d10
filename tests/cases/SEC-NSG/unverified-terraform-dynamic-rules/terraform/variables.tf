variable "inbound_rules" {
  type = list(object({ name = string, priority = number, port = string, source = string }))
}
