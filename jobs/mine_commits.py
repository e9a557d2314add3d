"""spark-submit entry point for the mining job; takes the same flags and config as `octopack mine`.

    spark-submit --master spark://host:7077 jobs/mine_commits.py --repos-file repos.txt --output s3a://bucket/run
"""

import sys

from octopack_spark.cli.mine import main

if __name__ == "__main__":
    sys.exit(main())
