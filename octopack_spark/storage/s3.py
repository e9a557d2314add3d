"""S3 settings resolved once from config + the standard AWS environment, mapped onto every client.

The same resolved settings configure boto3, pyarrow's S3FileSystem and Spark's s3a connector, so
`octopack mine --output s3a://bucket/run` works against AWS, MinIO, Ceph or a local moto server with
no extra flags when AWS_ENDPOINT_URL / AWS_ACCESS_KEY_ID / ... are set.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from octopack_spark.config import StorageConfig


@dataclass(frozen=True)
class S3Settings:
    endpoint_url: Optional[str]  # e.g. http://127.0.0.1:9000; None = AWS
    region: str
    access_key_id: Optional[str]
    secret_access_key: Optional[str]
    session_token: Optional[str]
    profile: Optional[str]
    path_style: bool
    max_attempts: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0

    @property
    def scheme(self) -> str:
        if not self.endpoint_url:
            return "https"
        return urlsplit(self.endpoint_url).scheme or "https"

    @property
    def host_port(self) -> Optional[str]:
        if not self.endpoint_url:
            return None
        parts = urlsplit(self.endpoint_url if "://" in self.endpoint_url else "https://" + self.endpoint_url)
        return parts.netloc


def _profile_value(profile: Optional[str], key: str) -> Optional[str]:
    """Read a key from ~/.aws/credentials or ~/.aws/config for a named profile (boto3 does this
    itself; pyarrow and s3a need the values passed explicitly)."""
    name = profile or "default"
    paths = [
        (os.environ.get("AWS_SHARED_CREDENTIALS_FILE", os.path.expanduser("~/.aws/credentials")), name),
        (os.environ.get("AWS_CONFIG_FILE", os.path.expanduser("~/.aws/config")),
         name if name == "default" else f"profile {name}"),
    ]
    for path, section in paths:
        if not os.path.isfile(path):
            continue
        cp = configparser.RawConfigParser()
        try:
            cp.read(path)
        except configparser.Error:
            continue
        if cp.has_option(section, key):
            return cp.get(section, key)
    return None


def resolve_s3(cfg: Optional[StorageConfig] = None) -> S3Settings:
    cfg = cfg or StorageConfig()
    env = os.environ
    profile = cfg.profile or env.get("AWS_PROFILE")
    endpoint = cfg.endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or \
        _profile_value(profile, "endpoint_url")
    region = cfg.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or \
        _profile_value(profile, "region") or "us-east-1"
    key = cfg.access_key_id or env.get("AWS_ACCESS_KEY_ID") or _profile_value(profile, "aws_access_key_id")
    secret = cfg.secret_access_key or env.get("AWS_SECRET_ACCESS_KEY") or \
        _profile_value(profile, "aws_secret_access_key")
    token = cfg.session_token or env.get("AWS_SESSION_TOKEN") or _profile_value(profile, "aws_session_token")
    path_style = cfg.path_style if cfg.path_style is not None else bool(endpoint)
    return S3Settings(
        endpoint_url=endpoint,
        region=region,
        access_key_id=key,
        secret_access_key=secret,
        session_token=token,
        profile=profile,
        path_style=path_style,
        max_attempts=cfg.max_attempts,
        connect_timeout_s=cfg.connect_timeout_s,
        read_timeout_s=cfg.read_timeout_s,
    )


def boto3_client(s: S3Settings):
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=s.access_key_id,
        aws_secret_access_key=s.secret_access_key,
        aws_session_token=s.session_token,
        region_name=s.region,
        profile_name=s.profile if not s.access_key_id else None,
    )
    return session.client(
        "s3",
        endpoint_url=s.endpoint_url,
        config=Config(
            retries={"max_attempts": s.max_attempts, "mode": "standard"},
            s3={"addressing_style": "path" if s.path_style else "auto"},
            connect_timeout=s.connect_timeout_s,
            read_timeout=s.read_timeout_s,
        ),
    )


def pyarrow_s3fs(s: S3Settings):
    from pyarrow import fs as pafs

    kwargs = dict(
        region=s.region,
        scheme=s.scheme,
        connect_timeout=s.connect_timeout_s,
        request_timeout=s.read_timeout_s,
        retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=s.max_attempts),
        force_virtual_addressing=not s.path_style if s.endpoint_url else False,
    )
    if s.host_port:
        kwargs["endpoint_override"] = s.host_port
    if s.access_key_id and s.secret_access_key:
        kwargs.update(access_key=s.access_key_id, secret_key=s.secret_access_key)
        if s.session_token:
            kwargs["session_token"] = s.session_token
    return pafs.S3FileSystem(**kwargs)


def s3a_conf(s: S3Settings) -> dict[str, str]:
    """Hadoop s3a properties (with the spark.hadoop. prefix) for the resolved settings."""
    p = "spark.hadoop.fs.s3a."
    conf = {
        p + "impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        p + "path.style.access": "true" if s.path_style else "false",
        p + "endpoint.region": s.region,
        p + "attempts.maximum": str(s.max_attempts),
        p + "retry.limit": str(s.max_attempts),
        p + "connection.establish.timeout": f"{int(s.connect_timeout_s * 1000)}ms",
        p + "connection.timeout": f"{int(s.read_timeout_s * 1000)}ms",
        # s3:// URIs given to Spark are served by s3a too.
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
    }
    if s.endpoint_url:
        conf[p + "endpoint"] = s.endpoint_url
        conf[p + "connection.ssl.enabled"] = "true" if s.scheme == "https" else "false"
    if s.access_key_id and s.secret_access_key:
        conf[p + "access.key"] = s.access_key_id
        conf[p + "secret.key"] = s.secret_access_key
        if s.session_token:
            conf[p + "session.token"] = s.session_token
            conf[p + "aws.credentials.provider"] = \
                "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        else:
            conf[p + "aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
    return conf
