import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from octopack_spark.mining.sources import (
    ReposFileError,
    RepoSpec,
    UnsafeSourceError,
    derive_name,
    read_repos_file,
    resolve_sources,
    validate_source,
)


@pytest.mark.parametrize("url", [
    "ext::sh -c 'touch /tmp/pwned'",
    "fd::17",
    "transport::whatever",
    "ftp://example.com/r.git",
    "http://example.com/r.git",
    "s3://bucket/repo",
    "--upload-pack=touch /tmp/x",
    "https://example.com/r\n.git",
])
def test_refused_sources(url, tmp_path):
    with pytest.raises(UnsafeSourceError) as e:
        validate_source(url, [str(tmp_path)])
    assert e.value.reason in ("refused_transport", "bad_source")
    assert str(e.value)


@pytest.mark.parametrize("url", [
    "https://github.com/octo/repo.git",
    "ssh://git@github.com/octo/repo.git",
    "git://example.org/repo",
    "git@github.com:octo/repo.git",
])
def test_allowed_remote_sources(url, tmp_path):
    assert validate_source(url, [str(tmp_path)]) == ("remote", url)


def test_local_paths_must_be_under_an_allowed_root(tmp_path):
    inside = tmp_path / "ok" / "repo"
    inside.mkdir(parents=True)
    assert validate_source(str(inside), [str(tmp_path / "ok")]) == ("local", str(inside.resolve()))
    assert validate_source("file://" + str(inside), [str(tmp_path / "ok")])[0] == "local"
    with pytest.raises(UnsafeSourceError) as e:
        validate_source(str(tmp_path / "ok" / ".." / "elsewhere"), [str(tmp_path / "ok")])
    assert e.value.reason == "outside_allowed_root"
    # A symlink out of the root is resolved before the check.
    (tmp_path / "ok" / "link").symlink_to("/etc")
    with pytest.raises(UnsafeSourceError):
        validate_source(str(tmp_path / "ok" / "link"), [str(tmp_path / "ok")])
    with pytest.raises(UnsafeSourceError):
        validate_source(str(inside), [str(tmp_path / "ok")], allowed_schemes=["https"])


def test_derive_name():
    assert derive_name("https://github.com/octo/repo.git") == "octo/repo"
    assert derive_name("git@github.com:octo/repo.git") == "octo/repo"
    assert derive_name("https://gitlab.com/group/sub/repo") == "gitlab.com/group/sub/repo"
    assert derive_name("/srv/mirrors/thing.git") == "thing"
    assert derive_name("/srv/mirrors/thing/") == "thing"


def test_resolve_dedups_and_disambiguates(tmp_path):
    (tmp_path / "a" / "x").mkdir(parents=True)
    (tmp_path / "b" / "x").mkdir(parents=True)
    res = resolve_sources(
        [RepoSpec(str(tmp_path / "a" / "x")), RepoSpec(str(tmp_path / "a" / "x")),
         RepoSpec(str(tmp_path / "b" / "x")), RepoSpec("ext::evil")],
        allowed_roots=[str(tmp_path)],
    )
    names = [s.name for s in res.specs]
    assert len(names) == 2 and names[0] == "x" and names[1].startswith("x-") and len(set(names)) == 2
    assert [p.reason for p in res.problems] == ["refused_transport"]
    assert res.problems[0].spec.name == "ext::evil"


def test_read_repos_file_formats(tmp_path):
    txt = tmp_path / "r.txt"
    txt.write_text("# comment\nhttps://github.com/a/b\n\n/srv/c\n")
    assert [s.url for s in read_repos_file(str(txt))] == ["https://github.com/a/b", "/srv/c"]
    csv = tmp_path / "r.csv"
    csv.write_text("url,name,license,stars\nhttps://github.com/a/b,ab,MIT,12\n/srv/c,,,\n")
    specs = read_repos_file(str(csv))
    assert (specs[0].name, specs[0].license, specs[0].stars) == ("ab", "mit", 12)
    assert (specs[1].name, specs[1].license, specs[1].stars) == ("", None, None)
    pqf = tmp_path / "r.parquet"
    pq.write_table(pa.table({"url": ["https://github.com/a/b"], "stars": [3]}), pqf)
    assert read_repos_file(str(pqf))[0].stars == 3


def test_bad_repos_files(tmp_path):
    with pytest.raises(ReposFileError, match="not found"):
        read_repos_file(str(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.csv"
    bad.write_text("repo,stars\nx,1\n")
    with pytest.raises(ReposFileError, match="'url' column"):
        read_repos_file(str(bad))
    bad2 = tmp_path / "bad2.csv"
    bad2.write_text("url,stars\nhttps://github.com/a/b,many\n")
    with pytest.raises(ReposFileError, match="stars must be a number"):
        read_repos_file(str(bad2))
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(ReposFileError, match="not a readable Parquet"):
        read_repos_file(str(broken))
