"""Refusals the sandbox shop answers, in WordPress's REST error shape."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


class ShopError(Exception):
    """A request the shop refuses: becomes ``{"code", "message", "data": {"status", ...}}``."""

    def __init__(self, status: int, code: str, message: str, **data: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> Json:
        return {
            "code": self.code,
            "message": self.message,
            "data": {"status": self.status, **self.data},
        }


def invalid_param(name: str, message: str, code: str = "rest_invalid_type") -> ShopError:
    """WordPress's 400 for a request argument that fails its schema."""
    return ShopError(
        400,
        "rest_invalid_param",
        f"Invalid parameter(s): {name}",
        params={name: message},
        details={name: {"code": code, "message": message, "data": {"param": name}}},
    )


def missing_param(name: str) -> ShopError:
    """WordPress's 400 for a required argument that is missing."""
    return ShopError(
        400, "rest_missing_callback_param", f"Missing parameter(s): {name}", params=[name]
    )
