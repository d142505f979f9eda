#!/usr/bin/env bash
# make run: the simulator of Azure ML and amldsr in local mode (embedded
# queue, results under ./.dsr-data), wired together the way the product
# talks to Azure: bearer tokens from a managed-identity endpoint, TLS.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run
rm -f .run/mlsim-url
LISTEN="${DSR_LISTEN:-127.0.0.1:7071}"

./bin/mlsim -addr 127.0.0.1:0 -ca-out .run/mlsim-ca.pem -url-out .run/mlsim-url >.run/mlsim.log 2>&1 &
SIM=$!
trap 'kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s .run/mlsim-url ] && break; sleep 0.1; done
[ -s .run/mlsim-url ] || { echo "the simulator did not start; see .run/mlsim.log" >&2; exit 1; }
SIM_URL="$(cat .run/mlsim-url)"

export DSR_LISTEN="$LISTEN"
export DSR_DATA_DIR="${DSR_DATA_DIR:-./.dsr-data}"
export DSR_ARM_ENDPOINT="$SIM_URL/arm"
export DSR_MODELMANAGEMENT_ENDPOINT="$SIM_URL/mm/{location}"
export DSR_EXPERIMENTS_ENDPOINT="$SIM_URL/exp/{location}"
export DSR_AML_ENDPOINT="$SIM_URL/aml/{location}"
export IDENTITY_ENDPOINT="$SIM_URL/msi/token"
export IDENTITY_HEADER="mlsim-identity-secret"
export SSL_CERT_FILE="$PWD/.run/mlsim-ca.pem"
export DSR_CONTENT_ALLOW_PRIVATE=true # the simulator serves artifact content from 127.0.0.1
export DSR_READS_PER_SECOND="${DSR_READS_PER_SECOND:-200}"

API="http://$LISTEN/api/dsr/requests"
RG="/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-dsr-target"
WS="/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-aml/providers/Microsoft.MachineLearningServices/workspaces/ws-shared"
ALICE='{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","userPrincipalName":"alice@contoso.com","displayName":"Alice Example"}'
ID="$(date +%H%M%S)"
cat <<BANNER

  amldsr local mode on http://$LISTEN, against the simulator at $SIM_URL
  (Ctrl-C stops both)

  Export everything in a resource group, with the notifications of one person:
    curl -s -X POST $API -H 'Content-Type: application/json' \\
      -d '{"requestId":"export-$ID","operation":"export","targets":["$RG"],"subject":{"objectId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}'
    curl -s $API/export-$ID            # 202 while running, 200 when done
    curl -s $API/export-$ID/results    # one result record per operation

  Plan a delete, then delete:
    curl -s -X POST $API -H 'Content-Type: application/json' \\
      -d '{"requestId":"plan-$ID","operation":"delete","targets":["$RG"],"dryRun":true}'
    curl -s -X POST $API -H 'Content-Type: application/json' \\
      -d '{"requestId":"delete-$ID","operation":"delete","targets":["$RG"]}'
    curl -s $API/delete-$ID

  Today's Azure ML: one person (alice) in a workspace shared with bob and carol (her jobs are hers by the
  object id in their run history; what only her display name attributes to her is deleted only with
  "allowDisplayName":true):
    curl -s -X POST $API -H 'Content-Type: application/json' \\
      -d '{"requestId":"alice-export-$ID","operation":"export","match":"subject","targets":["$WS"],"subject":$ALICE}'
    curl -s -X POST $API -H 'Content-Type: application/json' \\
      -d '{"requestId":"alice-delete-$ID","operation":"delete","match":"subject","targets":["$WS"],"subject":$ALICE,"allowDisplayName":true}'

  Or with the command-line client (bin/amldsr): submit, watch a progress bar, fetch and verify the bundle:
    bin/amldsr submit export --target $RG --request-id cli-$ID --wait
    bin/amldsr fetch cli-$ID --from-dir $DSR_DATA_DIR --out ./bundle-cli-$ID && bin/amldsr verify ./bundle-cli-$ID

  Results land in $DSR_DATA_DIR/dsr/requests/<requestId>/ (request.json, results/, export/, manifest.json,
  summary.json, report.html)

BANNER
./bin/handler
