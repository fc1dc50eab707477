#!/bin/sh
# access-tokens' command sink for the Vault or OpenBao CLI and a KV version 2 secret.
#   sink = { command = ["sh", "/etc/access-tokens/bao-kv.sh", "app/token"], env = ["BAO_ADDR", "BAO_TOKEN"] }
# The secret's path is the first argument, the stage the last; the secret comes on stdin.
# With HashiCorp's CLI, write `vault` for `bao` and pass VAULT_ADDR and VAULT_TOKEN.
set -e
path="$1"
case "$2" in
  store)   bao kv put -mount=secret "$path.pending" token=- >/dev/null ;;
  promote) bao kv patch -mount=secret "$path" token=- >/dev/null 2>&1 \
             || bao kv put -mount=secret "$path" token=- >/dev/null ;;
  finish)  bao kv metadata delete -mount=secret "$path.pending" >/dev/null ;;
  current) bao kv get -mount=secret -field=token "$path" ;;
  *)       exit 64 ;;
esac
