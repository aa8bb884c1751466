# What the Vault Agent in a gateway pod may do, logged in through Kubernetes auth as the
# ServiceAccount "gateway" (role citadel-gateway): read gateway's AppRole role_id and mint one
# secret_id for it. Nothing else: not gateway's secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/gateway.hcl), and no other service's role.
path "auth/approle/role/gateway/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/gateway/secret-id" {
  capabilities = ["create", "update"]
}
