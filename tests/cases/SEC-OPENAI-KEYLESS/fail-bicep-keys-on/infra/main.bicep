param location string = resourceGroup().location

resource openAi 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: 'oai-agent-prod'
  location: location
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: 'oai-agent-prod'
    publicNetworkAccess: 'Disabled'
    disableLocalAuth: false
    networkAcls: {
      defaultAction: 'Deny'
    }
  }
}
