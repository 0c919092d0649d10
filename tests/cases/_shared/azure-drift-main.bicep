param location string = resourceGroup().location
param tlsVersion string = '1.2'

resource cache 'Microsoft.Cache/redis@2024-11-01' = {
  name: 'agent-cache'
  location: location
  properties: {
    sku: {
      name: 'Premium'
      family: 'P'
      capacity: 3
    }
    enableNonSslPort: false
    minimumTlsVersion: tlsVersion
    publicNetworkAccess: 'Disabled'
    redisConfiguration: {
      'maxmemory-policy': 'allkeys-lru'
    }
  }
}
