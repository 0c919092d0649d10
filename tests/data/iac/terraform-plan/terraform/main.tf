# The configuration the plan in tfplan.json was made from; the plan is read instead of this file.
resource "azurerm_redis_cache" "cache" {
  name                = "agent-cache"
  location            = "swedencentral"
  resource_group_name = "agent-rg"
  capacity            = 1
  family              = "C"
  sku_name            = "Standard"
  minimum_tls_version = "1.0"
}
