# What the Vault Agent in a auth pod may do, logged in through Kubernetes auth as the
# ServiceAccount "auth" (role citadel-auth): read auth's AppRole role_id and mint one
# secret_id for it. Nothing else: not auth's secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/auth.hcl), and no other service's role.
path "auth/approle/role/auth/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/auth/secret-id" {
  capabilities = ["create", "update"]
}
