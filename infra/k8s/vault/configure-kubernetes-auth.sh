#!/bin/sh
# Configures Vault's Kubernetes auth method for Citadel, once per cluster, with an admin
# token (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT in the environment; the `vault` CLI). Run it
# after the vault-bootstrap Job, which writes the services' policies. Idempotent.
#
# For each service of the registry (one policy per file in infra/vault/policies): a role
# citadel-<service> that only the pods of the ServiceAccount <service> in namespace citadel
# can log in to, with a token whose audience is vault, and that gets the service's own
# policy and nothing else. The service logs in with it itself (packages/secrets,
# VAULT_AUTH_METHOD=kubernetes): no credential is delivered to it, nothing is minted per pod.
set -eu
cd "$(dirname "$0")"
NAMESPACE=${CITADEL_NAMESPACE:-citadel}
POLICIES=../../vault/policies

vault auth list -format=json | grep -q '"kubernetes/"' || vault auth enable kubernetes
# Vault runs in the cluster: it reviews each login's token (TokenReview) with its own
# ServiceAccount, which the Helm chart binds to system:auth-delegator, against the in-cluster
# API server, trusting the cluster CA mounted in its pod.
vault write auth/kubernetes/config kubernetes_host=https://kubernetes.default.svc

for policy in "$POLICIES"/*.hcl; do
  service=$(basename "$policy" .hcl)
  # The token is periodic (1 h, renewed by the service for as long as it runs), as the
  # tokens of local mode and compose are; a pod that stops renewing loses it.
  vault write "auth/kubernetes/role/citadel-$service" \
    bound_service_account_names="$service" \
    bound_service_account_namespaces="$NAMESPACE" \
    audience=vault \
    token_policies="$service" \
    token_period=1h
done
echo "Kubernetes auth configured: a role citadel-<service> for each of $POLICIES/*.hcl"
