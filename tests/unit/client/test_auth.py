"""Credentials: tokens, token files that rotate, basic auth, exec plugins."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest

from kubelite.client.auth import Credentials, run_exec_plugin
from kubelite.client.config import ClusterConfig, ConfigError, ExecConfig

V1 = "client.authentication.k8s.io/v1"

# A plugin that counts its runs, echoes what it was told, and prints a token
# that expires when its first argument says (an ISO time or "never").
PLUGIN = """\
import json, os, sys
from pathlib import Path
count = Path(sys.argv[2])
runs = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(runs))
status = {"token": f"token-{runs}"}
if sys.argv[1] != "never":
    status["expirationTimestamp"] = sys.argv[1]
told = {"info": json.loads(os.environ["KUBERNETES_EXEC_INFO"]), "region": os.environ["REGION"]}
Path(sys.argv[2] + ".info").write_text(json.dumps(told))
print(json.dumps({"apiVersion": sys.argv[3], "kind": "ExecCredential", "status": status}))
"""


def plugin(tmp_path: Path, expires: str, **changes: object) -> ExecConfig:
    script = tmp_path / "plugin.py"
    script.write_text(PLUGIN)
    values: dict[str, object] = {
        "api_version": V1,
        "command": sys.executable,
        "args": (str(script), expires, str(tmp_path / "runs"), V1),
        "env": (("REGION", "eu"),),
        "provide_cluster_info": True,
        **changes,
    }
    return ExecConfig(**values)  # type: ignore[arg-type]


async def test_an_exec_token_is_kept_until_it_expires(tmp_path: Path) -> None:
    config = ClusterConfig("https://c.example", exec=plugin(tmp_path, "never"))
    credentials = Credentials(config)
    assert await credentials.headers() == {"Authorization": "Bearer token-1"}
    assert await credentials.headers() == {"Authorization": "Bearer token-1"}
    told = json.loads((tmp_path / "runs.info").read_text())
    assert told == {
        "info": {
            "apiVersion": V1,
            "kind": "ExecCredential",
            "spec": {"interactive": False, "cluster": {"server": "https://c.example"}},
        },
        "region": "eu",
    }
    # A 401 throws the credential away: the plugin runs again.
    credentials.invalidate()
    assert await credentials.headers() == {"Authorization": "Bearer token-2"}


async def test_an_expired_exec_token_is_fetched_again(tmp_path: Path) -> None:
    config = ClusterConfig("https://c", exec=plugin(tmp_path, "2020-01-01T00:00:00Z"))
    credentials = Credentials(config)
    assert await credentials.headers() == {"Authorization": "Bearer token-1"}
    assert await credentials.headers() == {"Authorization": "Bearer token-2"}


async def test_a_failing_or_missing_plugin_says_why(tmp_path: Path) -> None:
    failing = ExecConfig(V1, sys.executable, ("-c", "import sys; sys.exit('no login')"))
    with pytest.raises(ConfigError, match="exited 1: no login"):
        await run_exec_plugin(failing, ClusterConfig("https://c"))
    missing = ExecConfig(V1, "no-such-plugin-here", install_hint="brew install it")
    with pytest.raises(ConfigError) as caught:
        await run_exec_plugin(missing, ClusterConfig("https://c"))
    assert (
        str(caught.value) == "exec plugin 'no-such-plugin-here' is not installed: brew install it"
    )
    wrong = ExecConfig(V1, sys.executable, ("-c", "print('{}')"))
    with pytest.raises(ConfigError, match="printed no ExecCredential"):
        await run_exec_plugin(wrong, ClusterConfig("https://c"))


async def test_a_token_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    credentials = Credentials(ClusterConfig("https://c", token_file=token))
    assert await credentials.headers() == {"Authorization": "Bearer first"}
    token.write_text("second-token\n")
    os.utime(token, (1, 1))
    assert await credentials.headers() == {"Authorization": "Bearer second-token"}


async def test_basic_auth_and_anonymous() -> None:
    basic = Credentials(ClusterConfig("https://c", username="admin", password="pw"))
    expected = "Basic " + base64.b64encode(b"admin:pw").decode()
    assert await basic.headers() == {"Authorization": expected}
    assert await Credentials(ClusterConfig("http://c")).headers() == {}
