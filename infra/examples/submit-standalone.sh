#!/usr/bin/env bash
# Spark standalone: mine a list of repositories into S3, then build CommitPackFT. (Example; the local
# variant of this is exercised by the tests through infra/spark-cluster.sh and jobs/*.py.)
set -euo pipefail
MASTER="${MASTER:-spark://spark-master:7077}"
OUT="${OUT:-s3a://my-bucket/commitpack/run-$(date +%Y%m%d)}"
# AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION are read by every component
# and mapped onto fs.s3a.* automatically; hadoop-aws is added to spark.jars.packages on demand.
spark-submit --master "$MASTER" \
  --archives dist/octopack-executor-env.tar.gz#env \
  --conf spark.pyspark.python=./env/bin/python \
  --conf spark.executor.memory=8g --conf spark.executor.cores=4 \
  --conf spark.local.dir=/mnt/scratch \
  jobs/mine_commits.py --repos-file repos.csv --output "$OUT/mine" --config infra/examples/cluster.yaml

spark-submit --master "$MASTER" \
  --archives dist/octopack-executor-env.tar.gz#env \
  --conf spark.pyspark.python=./env/bin/python \
  jobs/build_commitpackft.py --input "$OUT/mine" --output "$OUT/ft" --config infra/examples/cluster.yaml
