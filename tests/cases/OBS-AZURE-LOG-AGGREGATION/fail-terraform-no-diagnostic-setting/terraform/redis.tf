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

resource "azurerm_log_analytics_workspace" "logs" {
  name                = "log-agent-prod"
  location            = azurerm_resource_group.agent.location
  resource_group_name = azurerm_resource_group.agent.name
  sku                 = "PerGB2018"
  retention_in_days   = 90
}
