#!/bin/sh
# access-tokens' command sink for a Kubernetes Secret, applied with kubectl.
#   sink = { command = ["sh", "/etc/access-tokens/kubectl-secret.sh", "apps", "app-token"], env = ["KUBECONFIG"] }
# Namespace and Secret name first, the stage last; the secret comes on stdin and goes to
# kubectl on stdin too, never in an argument. The pending secret is a Secret of its own.
set -e
namespace="$1"
name="$2"
apply() {
  kubectl create secret generic "$1" --namespace "$namespace" --from-file=token=/dev/stdin \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
}
case "$3" in
  store)   apply "$name-pending" ;;
  promote) apply "$name" ;;
  finish)  kubectl delete secret "$name-pending" --namespace "$namespace" --ignore-not-found >/dev/null ;;
  current) kubectl get secret "$name" --namespace "$namespace" -o jsonpath='{.data.token}' | base64 -d ;;
  *)       exit 64 ;;
esac
