env           = "legacy"
app_instances = 3
buckets       = ["raw", "staging", "exports"]
