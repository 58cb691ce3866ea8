"""The SFTP connector's rules that need no server: names, read lock, configuration."""

import posixpath
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given
from hypothesis import strategies as st

from connectors.errors import ConfigError, PermanentError
from connectors.sftp import RemoteFile, SftpEndpoint, SftpFolders
from connectors.sftp.host_keys import PinnedHostKeys
from connectors.sftp.read_lock import old_enough, unchanged
from connectors.sftp.remote_names import check_file_name, collision_name, upload_temporary_name


def _public_line(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


ED25519_LINE = _public_line(ed25519.Ed25519PrivateKey.generate())


def _endpoint(**fields) -> SftpEndpoint:
    settings = {"host": "sftp.example.com", "username": "acme", "password": "pw"} | fields
    return SftpEndpoint(**settings)


@given(st.text(min_size=1, max_size=300))
def test_given_any_accepted_name_then_joined_with_a_folder_it_stays_in_the_folder(name):
    try:
        check_file_name(name, refuse_with=ConfigError)
    except ConfigError:
        return
    joined = posixpath.normpath(posixpath.join("inbound", name))
    assert posixpath.dirname(joined) == "inbound"
    assert "\\" not in name and "\0" not in name and not name.startswith(("-", "."))


def test_given_a_name_then_the_refusal_uses_the_callers_error_class():
    with pytest.raises(PermanentError) as refused:
        check_file_name("../x", refuse_with=PermanentError)

    assert refused.value.code == "unsafe_name"
    assert check_file_name("945_0001.edi", refuse_with=PermanentError) == "945_0001.edi"


def test_given_a_file_name_then_its_upload_temporary_is_a_hidden_part_file():
    assert upload_temporary_name("940_0001.edi") == ".940_0001.edi.part"


def test_given_a_moment_then_collision_names_keep_the_extension_and_count():
    moment = datetime(2026, 11, 23, 10, 15, 0, tzinfo=UTC)

    assert collision_name("945_77.edi", moment, 1) == "945_77.20261123T101500Z.edi"
    assert collision_name("945_77.edi", moment, 3) == "945_77.20261123T101500Z-3.edi"
    assert collision_name("README", moment, 1) == "README.20261123T101500Z"


def test_given_two_looks_then_only_files_with_the_same_size_and_mtime_are_unchanged():
    first = [RemoteFile("a", 10, 100), RemoteFile("b", 10, 100), RemoteFile("c", 5, 100)]
    second = [RemoteFile("a", 10, 100), RemoteFile("b", 12, 101), RemoteFile("d", 1, 100)]

    assert unchanged(first, second) == [RemoteFile("a", 10, 100)]


def test_given_an_age_rule_then_only_files_that_old_are_ready():
    files = [RemoteFile("old", 1, 1_000), RemoteFile("new", 1, 1_100)]

    assert old_enough(files, now=1_120, age=60) == [RemoteFile("old", 1, 1_000)]
    assert old_enough(files, now=1_120, age=None) == []


def test_given_secrets_in_an_endpoint_then_repr_leaves_them_out():
    endpoint = _endpoint(password="s3cret", private_key="KEYTEXT", passphrase="phrase")

    assert not {"s3cret", "KEYTEXT", "phrase"} & set(repr(endpoint).replace("'", " ").split())
    assert "s3cret" not in repr(endpoint)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"password": None}, "no_auth"),
        ({"port": 0}, "bad_endpoint"),
        ({"host": ""}, "bad_endpoint"),
        ({"operation_timeout": 0}, "bad_endpoint"),
        ({"operation_timeout": 300, "stale_upload_seconds": 300}, "bad_endpoint"),
        ({"known_hosts": "sftp.example.com ssh-ed25519 not-base64!"}, "bad_known_hosts"),
        ({"known_hosts": "sftp.example.com ssh-unknown AAAA"}, "bad_known_hosts"),
        ({"known_hosts": f"@cert-authority *.example.com {ED25519_LINE}"}, "bad_known_hosts"),
    ],
)
def test_given_a_bad_endpoint_setting_then_config_error_at_construction(fields, code):
    with pytest.raises(ConfigError) as refused:
        _endpoint(**fields)

    assert refused.value.code == code


@pytest.mark.parametrize(
    "folders",
    [{"inbound": "../etc"}, {"inbound": "in/../../etc"}, {"error": ""}, {"archive": "inbound"}],
)
def test_given_a_bad_folder_layout_then_config_error_at_construction(folders):
    with pytest.raises(ConfigError) as refused:
        SftpFolders(**folders)

    assert refused.value.code == "bad_folder"


def test_given_a_folder_name_that_is_not_configured_then_config_error():
    folders = SftpFolders(inbound="/in", outbound="/out")

    assert folders.path_of("inbound") == "/in"
    with pytest.raises(ConfigError):
        folders.path_of("/etc")


def test_given_known_hosts_for_several_servers_then_only_this_servers_keys_are_pinned():
    rsa_line = _public_line(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    known_hosts = (
        f"other.example.com {ED25519_LINE}\n"
        f"[sftp.example.com]:2222,10.0.0.5 {rsa_line}\n"
        f"sftp.example.com {ED25519_LINE}\n"
    )

    pinned = PinnedHostKeys.parse(known_hosts, address="[sftp.example.com]:2222")

    assert [key.get_name() for key in pinned.keys] == ["ssh-rsa"]
    offered = ("ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256")
    assert pinned.algorithms(offered) == [
        "rsa-sha2-512",
        "rsa-sha2-256",
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
    ]
