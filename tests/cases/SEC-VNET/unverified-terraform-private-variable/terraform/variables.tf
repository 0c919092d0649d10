variable "private_cluster" {
  type = bool
}
