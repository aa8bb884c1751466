# The monitor service's Vault policy: its own secrets, read-only, and nothing else.
# Token lookup and renewal come from Vault's built-in "default" policy.
path "secret/data/citadel/monitor/*" {
  capabilities = ["read"]
}
