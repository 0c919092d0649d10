variable "namespace" {
  type = string
}
