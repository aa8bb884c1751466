# The payment service's Vault policy: its own secrets, read-only, and nothing else.
# Token lookup and renewal come from Vault's built-in "default" policy.
path "secret/data/citadel/payment/*" {
  capabilities = ["read"]
}

# Its own mTLS identity: Vault's PKI engine issues it a short-lived certificate for its
# SPIFFE ID (the role allows that name and no other), renewed while it runs.
path "pki/issue/payment" {
  capabilities = ["update"]
}

# Its PostgreSQL password, set and rotated by Vault's database engine (static role "payment"):
# read only, and nothing else of the engine (not another service's, not the admin connection).
path "database/static-creds/payment" {
  capabilities = ["read"]
}
