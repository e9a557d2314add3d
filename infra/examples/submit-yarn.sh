#!/usr/bin/env bash
# YARN (Hadoop cluster, EMR, Dataproc): cluster deploy mode with the packed executor env. (Example, not tested here.)
set -euo pipefail
OUT="${OUT:-s3a://my-bucket/commitpack/run-$(date +%Y%m%d)}"
export PYSPARK_PYTHON=./env/bin/python
spark-submit --master yarn --deploy-mode cluster \
  --archives dist/octopack-executor-env.tar.gz#env \
  --conf spark.yarn.appMasterEnv.PYSPARK_PYTHON=./env/bin/python \
  --conf spark.executorEnv.PYSPARK_PYTHON=./env/bin/python \
  --conf spark.executor.memory=8g --conf spark.executor.cores=4 --num-executors 20 \
  --files repos.csv,infra/examples/cluster.yaml \
  jobs/mine_commits.py --repos-file repos.csv --output "$OUT/mine" --config cluster.yaml
