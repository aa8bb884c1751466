# The real HashiCorp Vault in docker-compose.yml: server mode (never -dev), file storage in
# the vault-data volume, HTTPS only (TLS 1.3) with a server certificate from the Citadel
# development CA made by the secrets-init step. vault-init initialises and unseals it.
storage "file" {
  path = "/vault/file"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  tls_cert_file   = "/vault/tls/vault.pem"
  tls_key_file    = "/vault/tls/vault-key.pem"
  tls_min_version = "tls13"
}

api_addr = "https://vault:8200"
ui       = false

# mlock needs CAP_IPC_LOCK, and the container drops every capability. Core dumps are off
# instead (ulimits in docker-compose.yml), so memory never reaches disk that way; on a
# host with swap, prefer encrypted swap or none.
disable_mlock = true
