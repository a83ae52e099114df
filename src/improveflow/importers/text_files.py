"""Turning a plan file's bytes into text, or a clear error naming the file and line.

Encodings are tried in this order:
1. UTF-16 when the file starts with a UTF-16 byte-order mark (Word's "Unicode text");
2. UTF-8 with a byte-order mark ("utf-8-sig"), when the file starts with one;
3. UTF-8;
4. Windows-1252 ("cp1252"), what older Word and Excel on Windows write.
A file holding NUL bytes (and no UTF-16 mark) is binary and refused. Windows-1252 leaves five
byte values undefined; a file using them cannot be decoded and is refused too.
"""

from __future__ import annotations

import codecs

from improveflow.exceptions import InputFileError


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_plan_bytes(data: bytes, file: str) -> tuple[str, str]:
    """The text of a plan file and the name of the encoding used to read it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise InputFileError(file, None, f"damaged UTF-16 text: {error.reason}") from error
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputFileError(file, _line_of(data, nul), "binary file: not a text export of a plan")
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        problem = (
            f"cannot decode byte 0x{data[error.start]:02x} as UTF-8 or Windows-1252: "
            "save the file as UTF-8 text"
        )
        raise InputFileError(file, _line_of(data, error.start), problem) from error
