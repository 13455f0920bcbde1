"""Receipt signing: Ed25519 over canonical JSON (mobility_platform.signing)."""

from __future__ import annotations

from typing import Any

from mobility_platform.signing import sign_document, verify_document


class Ed25519ReceiptSigner:
    def __init__(self, *, private_key_pem: str, public_key_pem: str, key_id: str) -> None:
        self._private = private_key_pem
        self._public = public_key_pem
        self.key_id = key_id

    def sign(self, document: dict[str, Any]) -> str:
        return sign_document(self._private, document)

    def verify(self, document: dict[str, Any], signature: str, key_id: str) -> bool:
        return key_id == self.key_id and verify_document(self._public, document, signature)
