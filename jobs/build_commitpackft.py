"""spark-submit entry point for the CommitPackFT stage; same flags and config as `octopack ft`.

    spark-submit --master spark://host:7077 jobs/build_commitpackft.py \
        --input s3a://bucket/mined --output s3a://bucket/commitpackft --config pipeline.yaml
"""

import sys

from octopack_spark.cli.ft import main

if __name__ == "__main__":
    sys.exit(main())
