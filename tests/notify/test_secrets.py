"""Secrets at rest: Fernet with a key from the environment or a private key file."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from sitekeeper.errors import ConfigError
from sitekeeper.secrets import KEY_FILE, SecretBox, SecretKeyError, generate_key


def test_it_round_trips_and_never_stores_the_plaintext() -> None:
    box = SecretBox(generate_key())
    token = box.encrypt("https://hooks.example/T0/B0/xoxb-secret")
    assert "xoxb-secret" not in token
    assert box.decrypt(token) == "https://hooks.example/T0/B0/xoxb-secret"


def test_it_creates_a_private_key_file_once_and_reuses_it(tmp_path: Path) -> None:
    first = SecretBox.for_data_dir(tmp_path / "data", environ={})
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = SecretBox.for_data_dir(tmp_path / "data", environ={})
    assert again.decrypt(first.encrypt("pw")) == "pw"
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    boxes: list[SecretBox] = []
    threads = [
        threading.Thread(target=lambda: boxes.append(SecretBox.for_data_dir(tmp_path, environ={})))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    token = boxes[0].encrypt("same")
    assert all(b.decrypt(token) == "same" for b in boxes)


def test_the_environment_key_wins_over_the_file(tmp_path: Path) -> None:
    key = generate_key()
    box = SecretBox.for_data_dir(tmp_path, environ={"SITEKEEPER_SECRET_KEY": key})
    assert SecretBox(key).decrypt(box.encrypt("x")) == "x"
    assert not (tmp_path / KEY_FILE).exists()


def test_a_wrong_key_is_a_clear_error() -> None:
    token = SecretBox(generate_key()).encrypt("pw")
    with pytest.raises(SecretKeyError) as err:
        SecretBox(generate_key()).decrypt(token)
    assert "this store's secrets were encrypted with another key" in str(err.value)
    assert "set SITEKEEPER_SECRET_KEY to the key it was made with" in str(err.value)
    assert isinstance(err.value, ConfigError)


def test_a_malformed_key_is_rejected_without_echoing_it() -> None:
    with pytest.raises(SecretKeyError) as err:
        SecretBox("not-a-key-hunter2", source="SITEKEEPER_SECRET_KEY")
    assert "SITEKEEPER_SECRET_KEY is not a valid key" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_a_missing_key_is_not_silently_replaced(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match="no secret key"):
        SecretBox.for_data_dir(tmp_path, environ={}, create=False)


def test_keys_rotate_first_encrypts_all_decrypt() -> None:
    old, new = generate_key(), generate_key()
    token = SecretBox(old).encrypt("pw")
    rotated = SecretBox(f"{new},{old}")
    assert rotated.decrypt(token) == "pw"
    assert SecretBox(new).decrypt(rotated.encrypt("pw2")) == "pw2"
