# The gateway service's Vault policy: its own secrets, read-only, and nothing else.
# It holds no signing key: the JWT signing keys are readable by auth alone.
# Token lookup and renewal come from Vault's built-in "default" policy.
path "secret/data/citadel/gateway/*" {
  capabilities = ["read"]
}

# Its own mTLS identity: Vault's PKI engine issues it a short-lived certificate for its
# SPIFFE ID (the role allows that name and no other), renewed while it runs.
path "pki/issue/gateway" {
  capabilities = ["update"]
}
