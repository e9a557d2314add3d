#!/usr/bin/env bash
# Spark standalone (client mode): mine a list of repositories into S3, then build CommitPackFT, with the
# executors running the packed env from infra/package.sh. The driver runs where you submit, with a Python
# that has octopack-spark installed (spark.pyspark.driver.python); executors unpack env.tar.gz.
# Tested by hand on the local standalone cluster (infra/spark-cluster.sh) with local output:
#   spark-submit --master spark://127.0.0.1:7391 --archives dist/octopack-executor-env.tar.gz#env \
#     --conf spark.pyspark.python=./env/bin/python --conf spark.pyspark.driver.python=.venv/bin/python \
#     jobs/mine_commits.py --repo ... --output /tmp/out --set spark.ship_library=false   -> repos ok 2
# The packed env holds a copy of the interpreter but links to the base Python's stdlib: build it on the
# same OS, architecture and Python path as the nodes (or use the image in infra/docker/).
set -euo pipefail
MASTER="${MASTER:-spark://spark-master:7077}"
OUT="${OUT:-s3a://my-bucket/commitpack/run-$(date +%Y%m%d)}"
# AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION are read by every component
# and mapped onto fs.s3a.* automatically; hadoop-aws is added to spark.jars.packages on demand.
spark-submit --master "$MASTER" \
  --archives dist/octopack-executor-env.tar.gz#env \
  --conf spark.pyspark.python=./env/bin/python \
  --conf spark.pyspark.driver.python="$(command -v python3)" \
  --conf spark.executor.memory=8g --conf spark.executor.cores=4 \
  --conf spark.local.dir=/mnt/scratch \
  jobs/mine_commits.py --repos-file repos.csv --output "$OUT/mine" --config infra/examples/cluster.yaml

spark-submit --master "$MASTER" \
  --archives dist/octopack-executor-env.tar.gz#env \
  --conf spark.pyspark.python=./env/bin/python \
  --conf spark.pyspark.driver.python="$(command -v python3)" \
  jobs/build_commitpackft.py --input "$OUT/mine" --output "$OUT/ft" --config infra/examples/cluster.yaml
