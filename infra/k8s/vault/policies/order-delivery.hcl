# What the Vault Agent in a order pod may do, logged in through Kubernetes auth as the
# ServiceAccount "order" (role citadel-order): read order's AppRole role_id and mint one
# secret_id for it. Nothing else: not order's secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/order.hcl), and no other service's role.
path "auth/approle/role/order/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/order/secret-id" {
  capabilities = ["create", "update"]
}
