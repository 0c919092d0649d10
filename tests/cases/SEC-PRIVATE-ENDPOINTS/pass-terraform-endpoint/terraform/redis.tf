terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.10"
    }
  }
}

provider "azurerm" {
  features {}
}

resource "azurerm_resource_group" "agent" {
  name     = "rg-agent-prod"
  location = "swedencentral"
}

resource "azurerm_redis_cache" "cache" {
  name                          = "agent-cache"
  location                      = azurerm_resource_group.agent.location
  resource_group_name           = azurerm_resource_group.agent.name
  capacity                      = 1
  family                        = "C"
  sku_name                      = "Standard"
  non_ssl_port_enabled          = false
  minimum_tls_version           = "1.2"
  public_network_access_enabled = false

  redis_configuration {
    maxmemory_policy = "allkeys-lru"
  }
}

resource "azurerm_private_endpoint" "cache" {
  name                = "pe-agent-cache"
  location            = azurerm_resource_group.agent.location
  resource_group_name = azurerm_resource_group.agent.name
  subnet_id           = "/subscriptions/9b3e1f70-4c2a-4e85-9d0b-2f6a8c1e5d34/resourceGroups/rg-network-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-private-endpoints"

  private_service_connection {
    name                           = "agent-cache"
    private_connection_resource_id = azurerm_redis_cache.cache.id
    subresource_names              = ["redisCache"]
    is_manual_connection           = false
  }
}
