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

resource "azurerm_kubernetes_cluster" "agent" {
  name                      = "aks-agent"
  location                  = azurerm_resource_group.agent.location
  resource_group_name       = azurerm_resource_group.agent.name
  dns_prefix                = "aks-agent"
  kubernetes_version        = "1.30"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true

  default_node_pool {
    name           = "system"
    node_count     = 3
    vm_size        = "Standard_D4s_v5"
    vnet_subnet_id = azurerm_subnet.aks.id
    zones          = ["1", "2", "3"]
  }

  identity {
    type = "SystemAssigned"
  }

  network_profile {
    network_plugin = "azure"
    network_policy = "azure"
  }
}
