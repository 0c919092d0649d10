CONNECTION = "DefaultEndpointsProtocol=https;AccountName=contosodata;AccountKey=@@FAKE_STORAGE_KEY@@"
