"""App certificates for tests of certificate credentials: a self-signed RSA certificate and its
private key in one PEM file, as a council would make one and upload its public half to the app
registration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = ["app_certificate"]


def app_certificate(
    path: Path,
    *,
    name: str = "improveflow",
    password: str | None = None,
    valid_for: timedelta = timedelta(days=365),
    rsa_key: bool = True,
) -> x509.Certificate:
    """Write a new self-signed certificate and its private key (encrypted with `password`, if
    given) to `path` as PEM; the certificate, to register with a TokenEndpoint.

    `valid_for` may be negative, for a certificate that has already expired; `rsa_key=False`
    makes an elliptic-curve key, which Entra ID does not take for client assertions.
    """
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    start, end = sorted((now - timedelta(days=1), now + valid_for))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(days=1))
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.write_bytes(key_pem + certificate.public_bytes(serialization.Encoding.PEM))
    return certificate
