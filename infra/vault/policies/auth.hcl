# The auth service's Vault policy: its own secrets, read-only, and nothing else.
# The JWT signing keys are rotated by an operator (npm run rotate-keys), never by auth
# itself: a compromised auth process cannot plant a key that outlives it in Vault.
# Token lookup and renewal come from Vault's built-in "default" policy.
path "secret/data/citadel/auth/*" {
  capabilities = ["read"]
}

# Its own mTLS identity: Vault's PKI engine issues it a short-lived certificate for its
# SPIFFE ID (the role allows that name and no other), renewed while it runs.
path "pki/issue/auth" {
  capabilities = ["update"]
}

# Its PostgreSQL password, set and rotated by Vault's database engine (static role "auth"):
# read only, and nothing else of the engine (not another service's, not the admin connection).
path "database/static-creds/auth" {
  capabilities = ["read"]
}
