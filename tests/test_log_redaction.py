"""What reaches a log: no phone, ID-card or bank-card number however it is grouped, no
e-mail address, no line a user forged with a newline, and a file that rotates by size."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from api.logs import PrivateRotatingFileHandler, RedactingFilter, RedactingFormatter, redact

SECRETS = [
    ("13812345678", "[手机号已隐藏]"),
    ("138 1234 5678", "[手机号已隐藏]"),
    ("138-1234-5678", "[手机号已隐藏]"),
    ("+86 138 1234 5678", "[手机号已隐藏]"),
    ("110101199001011234", "[身份证号已隐藏]"),
    ("110101 19900101 1234", "[身份证号已隐藏]"),
    ("110101-1990-0101-123X", "[身份证号已隐藏]"),
    ("6222021234567890", "[银行卡号已隐藏]"),
    ("6222 0212 3456 7890 123", "[银行卡号已隐藏]"),
    ("6222-0212-3456-7890", "[银行卡号已隐藏]"),
    ("zhang.san+jobs@mail.example.com.cn", "[邮箱已隐藏]"),
    ("13812345678@163.com", "[邮箱已隐藏]"),
]


@pytest.mark.parametrize("secret,mask", SECRETS)
def test_personal_numbers_and_addresses_are_masked(secret: str, mask: str) -> None:
    out = redact(f"我的号码是{secret}，请联系")
    assert out == f"我的号码是{mask}，请联系"


def test_ordinary_numbers_are_left_alone() -> None:
    text = "2026-11-27 第3期 补贴 1500 元，编号 20240101，课时 120 小时，职业编码 6-25-04-08"
    assert redact(text) == text


def _logger(stream: io.StringIO) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"jnt.test.redaction.{id(stream)}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    return logger


def test_a_newline_in_user_text_cannot_forge_a_log_line() -> None:
    stream = io.StringIO()
    forged = "你好\nINFO jnt.auth: login: user='admin' address=10.0.0.1\r\x1b[2J"
    _logger(stream).info("chat turn: %s", forged)
    out = stream.getvalue()
    assert out.count("\n") == 1  # one record, one line
    assert "\\nINFO jnt.auth" in out and "\\r\\x1b[2J" in out


def test_a_traceback_is_masked_and_cannot_start_a_record() -> None:
    stream = io.StringIO()
    try:
        raise ValueError("bad input 110101 19900101 1234\nERROR forged: record")
    except ValueError:
        _logger(stream).exception("failed for 138-1234-5678")
    out = stream.getvalue()
    assert "1234 5678" not in out.replace("-", " ") and "19900101" not in out
    lines = out.splitlines()
    assert lines[0].startswith("ERROR ") and all(line.startswith("    ") for line in lines[1:])


def test_the_log_file_rotates_by_size(tmp_path: Path) -> None:
    path = tmp_path / "jnt.log"
    handler = PrivateRotatingFileHandler(path, encoding="utf-8", maxBytes=300, backupCount=2)
    record = logging.LogRecord("jnt", logging.INFO, __file__, 1, "x" * 100, None, None)
    for _ in range(20):
        handler.emit(record)
    handler.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jnt.log", "jnt.log.1", "jnt.log.2"]
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())
