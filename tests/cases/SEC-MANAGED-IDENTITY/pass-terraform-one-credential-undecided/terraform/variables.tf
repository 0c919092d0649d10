variable "staging_namespace" {
  type = string
}
