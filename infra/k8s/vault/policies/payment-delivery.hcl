# What the Vault Agent in a payment pod may do, logged in through Kubernetes auth as the
# ServiceAccount "payment" (role citadel-payment): read payment's AppRole role_id and mint one
# secret_id for it. Nothing else: not payment's secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/payment.hcl), and no other service's role.
path "auth/approle/role/payment/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/payment/secret-id" {
  capabilities = ["create", "update"]
}
