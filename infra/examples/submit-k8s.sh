#!/usr/bin/env bash
# Kubernetes: executors run the image built from infra/docker/Dockerfile. (Example, not tested here.)
set -euo pipefail
IMAGE="${IMAGE:-registry.example.com/octopack-spark:latest}"
OUT="${OUT:-s3a://my-bucket/commitpack/run-$(date +%Y%m%d)}"
spark-submit --master "k8s://https://${K8S_API:?set K8S_API to the API server host:port}" --deploy-mode cluster \
  --name octopack-mine \
  --conf spark.kubernetes.container.image="$IMAGE" \
  --conf spark.kubernetes.namespace=data \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName=spark \
  --conf spark.executor.instances=20 --conf spark.executor.memory=8g --conf spark.executor.cores=4 \
  --conf spark.kubernetes.driverEnv.AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-}" \
  --conf spark.executorEnv.AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-}" \
  --conf spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID=s3-creds:access_key \
  --conf spark.kubernetes.executor.secretKeyRef.AWS_SECRET_ACCESS_KEY=s3-creds:secret_key \
  --conf spark.kubernetes.driver.secretKeyRef.AWS_ACCESS_KEY_ID=s3-creds:access_key \
  --conf spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY=s3-creds:secret_key \
  local:///opt/octopack/jobs/mine_commits.py --repos-file s3a://my-bucket/repos.csv --output "$OUT/mine" \
  --set spark.ship_library=false
