"""A deterministic corpus of realistic files holding planted secrets (seeded RNG), for the detector's
recall test and the mine -> ft end-to-end test. Every planted value is returned with its file so a test
can check that each one is found (or that it appears nowhere in a published table)."""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
LOWER_HEX = "0123456789abcdef"


@dataclass
class PlantedFile:
    path: str
    text: str
    secrets: list[tuple[str, str]]  # (kind, value)


def _s(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _private_key(rng: random.Random, label: str = "RSA PRIVATE KEY") -> str:
    body = base64.b64encode(rng.randbytes(600)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"


def _jwt(rng: random.Random) -> str:
    def part(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return ".".join([part({"alg": "HS256", "typ": "JWT"}), part({"sub": _s(rng, 10), "iat": rng.randrange(10**9)}),
                     _s(rng, 43, ALNUM + "-_")])


GENERATORS = {
    "aws_key": lambda r: "AKIA" + _s(r, 16, string.ascii_uppercase + string.digits),
    "aws_secret": lambda r: _s(r, 40, ALNUM + "/+"),
    "github_token": lambda r: "ghp_" + _s(r, 36),
    "gitlab_token": lambda r: "glpat-" + _s(r, 20, ALNUM + "_-"),
    "slack_token": lambda r: f"xoxb-{r.randrange(10**11, 10**12)}-{r.randrange(10**12, 10**13)}-{_s(r, 24, string.ascii_lowercase + string.digits)}",
    "stripe_key": lambda r: "sk_live_" + _s(r, 24),
    "twilio_key": lambda r: "SK" + _s(r, 32, LOWER_HEX),
    "sendgrid_key": lambda r: "SG." + _s(r, 22, ALNUM + "_-") + "." + _s(r, 43, ALNUM + "_-"),
    "npm_token": lambda r: "npm_" + _s(r, 36),
    "jwt": _jwt,
    "private_key": _private_key,
    "db_password": lambda r: _s(r, 20, ALNUM + "!@%^&*-_"),
    "url_password": lambda r: _s(r, 16),
    "telegram_token": lambda r: f"{r.randrange(10**8, 10**9)}:" + _s(r, 35, ALNUM + "_-"),
}


def _env(rng, v):
    return (f"# local settings, do not commit\nDEBUG=false\nPORT={rng.randrange(3000, 9000)}\n"
            f"DATABASE_HOST=db.internal\nAWS_ACCESS_KEY_ID={v['aws_key']}\nAWS_SECRET_ACCESS_KEY={v['aws_secret']}\n"
            f"DB_PASSWORD={v['db_password']}\nSTRIPE_SECRET_KEY={v['stripe_key']}\nLOG_LEVEL=info\n")


def _yaml(rng, v):
    return (f"server:\n  port: {rng.randrange(3000, 9000)}\n  host: 0.0.0.0\ndatabase:\n  url: "
            f"postgres://app:{v['url_password']}@db.example.internal:5432/app\n  pool: 5\n"
            f"notifications:\n  slack_token: {v['slack_token']}\n  sendgrid_api_key: \"{v['sendgrid_key']}\"\n"
            f"features:\n  beta: true\n")


def _python(rng, v):
    return (f"import os\n\nimport requests\n\nGITHUB_TOKEN = \"{v['github_token']}\"\n"
            f"TWILIO_API_KEY = '{v['twilio_key']}'\n\n\ndef fetch(repo):\n"
            f"    headers = {{\"Authorization\": f\"token {{GITHUB_TOKEN}}\"}}\n"
            f"    return requests.get(f\"https://api.github.com/repos/{{repo}}\", headers=headers, timeout=10)\n\n\n"
            f"def notify(bot):\n    bot.send(\"{v['telegram_token']}\", \"deployed\")\n")


def _js(rng, v):
    return (f"const express = require('express');\nconst app = express();\n\n"
            f"const session = '{v['jwt']}';\nconst gitlab = {{ token: \"{v['gitlab_token']}\" }};\n\n"
            f"app.get('/', (req, res) => res.send('ok'));\napp.listen({rng.randrange(3000, 9000)});\n")


def _npmrc(rng, v):
    return f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={v['npm_token']}\nsave-exact=true\n"


def _key(rng, v):
    return v["private_key"] + "\n"


TEMPLATES = {
    ".env": (_env, ["aws_key", "aws_secret", "db_password", "stripe_key"]),
    "config/settings.yaml": (_yaml, ["url_password", "slack_token", "sendgrid_key"]),
    "app/client.py": (_python, ["github_token", "twilio_key", "telegram_token"]),
    "web/server.js": (_js, ["jwt", "gitlab_token"]),
    ".npmrc": (_npmrc, ["npm_token"]),
    "deploy/id_rsa": (_key, ["private_key"]),
}


def planted_files(n_sets: int = 16, seed: int = 1234) -> list[PlantedFile]:
    """n_sets copies of every template, each with fresh secrets (14 per set)."""
    rng = random.Random(seed)
    out = []
    for i in range(n_sets):
        values = {k: gen(rng) for k, gen in GENERATORS.items()}
        for path, (render, kinds) in TEMPLATES.items():
            out.append(PlantedFile(f"svc{i}/{path}", render(rng, values), [(k, values[k]) for k in kinds]))
    return out
