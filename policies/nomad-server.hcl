# Nomad servers: register themselves, read the catalog, and derive Connect tokens for workloads.
acl = "write"

agent_prefix "" {
  policy = "read"
}

node_prefix "" {
  policy = "read"
}

service_prefix "" {
  policy = "write"
}
