location         = "swedencentral"
purge_protection = true
redis_tls        = "1.2"
