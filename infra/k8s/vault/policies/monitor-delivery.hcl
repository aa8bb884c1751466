# What the Vault Agent in a monitor pod may do, logged in through Kubernetes auth as the
# ServiceAccount "monitor" (role citadel-monitor): read monitor's AppRole role_id and mint
# one secret_id for it. Nothing else: not monitor's secrets themselves (the service reads those
# with its AppRole, under infra/vault/policies/monitor.hcl), and no other service's role.
path "auth/approle/role/monitor/role-id" {
  capabilities = ["read"]
}

path "auth/approle/role/monitor/secret-id" {
  capabilities = ["create", "update"]
}
