targetScope = 'resourceGroup'

@description('Name of the azd environment')
param environmentName string
param location string = resourceGroup().location
param prefix string = 'agent'
param openAiPublicAccess string = 'Disabled'

resource openAi 'Microsoft.CognitiveServices/accounts@2023-05-01' = {
  name: '${prefix}-openai'
  location: location
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: '${prefix}-openai'
    publicNetworkAccess: openAiPublicAccess
    disableLocalAuth: true
    networkAcls: {
      defaultAction: 'Deny'
    }
  }
}

module redis 'core/redis.bicep' = {
  name: 'redis'
  params: {
    name: '${prefix}-cache'
    location: location
    tags: { 'azd-env-name': environmentName }
  }
}

resource pe 'Microsoft.Network/privateEndpoints@2023-04-01' = {
  name: '${prefix}-openai-pe'
  location: location
  properties: {
    subnet: {
      id: resourceId('Microsoft.Network/virtualNetworks/subnets', '${prefix}-vnet', 'endpoints')
    }
    privateLinkServiceConnections: [
      {
        name: 'openai'
        properties: {
          privateLinkServiceId: openAi.id
          groupIds: [ 'account' ]
        }
      }
    ]
  }
}

resource redisPe 'Microsoft.Network/privateEndpoints@2023-04-01' = {
  name: '${prefix}-redis-pe'
  location: location
  properties: {
    subnet: {
      id: resourceId('Microsoft.Network/virtualNetworks/subnets', '${prefix}-vnet', 'endpoints')
    }
    privateLinkServiceConnections: [
      {
        name: 'redis'
        properties: {
          privateLinkServiceId: redis.outputs.id
          groupIds: [ 'redisCache' ]
        }
      }
    ]
  }
}

output redisId string = redis.outputs.id
