ENDPOINT = "https://contoso-openai.openai.azure.com/"
