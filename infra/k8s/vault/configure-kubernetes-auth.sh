#!/bin/sh
# Configures Vault's Kubernetes auth method for Citadel, once per cluster, with an admin
# token (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT in the environment; the `vault` CLI). Run it
# from a machine or pod that reaches Vault, after the Vault bootstrap (which creates the
# AppRoles these policies deliver). Idempotent.
#
# For each service: a policy (policies/<service>-delivery.hcl) that reads that service's
# AppRole role_id and mints a secret_id, and a role that grants it only to the pods of the
# ServiceAccount <service> in namespace citadel, presenting a token whose audience is vault.
set -eu
cd "$(dirname "$0")"
NAMESPACE=${CITADEL_NAMESPACE:-citadel}

vault auth list -format=json | grep -q '"kubernetes/"' || vault auth enable kubernetes
# Vault runs in the cluster: it reviews tokens with its own ServiceAccount (the Helm chart
# grants it system:auth-delegator) against the in-cluster API server.
vault write auth/kubernetes/config kubernetes_host=https://kubernetes.default.svc

# One per policies/<service>-delivery.hcl: every service of the registry has one.
for policy in policies/*-delivery.hcl; do
  service=$(basename "$policy" -delivery.hcl)
  vault policy write "citadel-$service-delivery" "policies/$service-delivery.hcl"
  vault write "auth/kubernetes/role/citadel-$service" \
    bound_service_account_names="$service" \
    bound_service_account_namespaces="$NAMESPACE" \
    audience=vault \
    token_policies="citadel-$service-delivery" \
    token_ttl=2m \
    token_max_ttl=5m
done
echo "Kubernetes auth configured: a role citadel-<service> for each of policies/*-delivery.hcl"
