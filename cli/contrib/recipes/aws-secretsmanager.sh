#!/bin/sh
# access-tokens' command sink for AWS Secrets Manager, its own stages: AWSPENDING, then
# AWSCURRENT.
#   sink = { command = ["sh", "/etc/access-tokens/aws-secretsmanager.sh", "prod/app/token"], env = ["AWS_PROFILE", "AWS_REGION"] }
# The secret's id first, the stage last; the secret comes on stdin and goes to the CLI as a
# file (`file:///dev/stdin`), never in an argument. Needs python3 to read the stages.
set -e
id="$1"
case "$2" in
  store)
    aws secretsmanager put-secret-value --secret-id "$id" \
      --secret-string file:///dev/stdin --version-stages AWSPENDING >/dev/null ;;
  promote)
    # The pending version holds the secret already: it becomes AWSCURRENT.
    current=$(aws secretsmanager describe-secret --secret-id "$id" --output json |
      python3 -c 'import json,sys; v=json.load(sys.stdin)["VersionIdsToStages"]; print(next(k for k,s in v.items() if "AWSCURRENT" in s))')
    pending=$(aws secretsmanager describe-secret --secret-id "$id" --output json |
      python3 -c 'import json,sys; v=json.load(sys.stdin)["VersionIdsToStages"]; print(next(k for k,s in v.items() if "AWSPENDING" in s))')
    aws secretsmanager update-secret-version-stage --secret-id "$id" --version-stage AWSCURRENT \
      --move-to-version-id "$pending" --remove-from-version-id "$current" >/dev/null ;;
  finish)
    pending=$(aws secretsmanager describe-secret --secret-id "$id" --output json |
      python3 -c 'import json,sys; v=json.load(sys.stdin)["VersionIdsToStages"]; print(next((k for k,s in v.items() if "AWSPENDING" in s), ""))')
    [ -z "$pending" ] || aws secretsmanager update-secret-version-stage --secret-id "$id" \
      --version-stage AWSPENDING --remove-from-version-id "$pending" >/dev/null ;;
  current) aws secretsmanager get-secret-value --secret-id "$id" --query SecretString --output text ;;
  *)       exit 64 ;;
esac
