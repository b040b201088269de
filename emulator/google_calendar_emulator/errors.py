"""Google-shaped API errors."""

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error answered as Google's JSON error document."""

    def __init__(
        self,
        code,
        reason,
        message,
        *,
        domain="global",
        location=None,
        location_type=None,
        headers=None,
    ):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = dict(headers or {})

    def to_json(self):
        item = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        error = {"errors": [item], "code": self.code, "message": self.message}
        status = _STATUS.get(self.code)
        if status:
            error["status"] = status
        return {"error": error}


def bad_request(message, reason="invalid", **kw):
    return ApiError(400, reason, message, **kw)


def not_found(message="Not Found"):
    return ApiError(404, "notFound", message)


def forbidden_access(level="writer"):
    return ApiError(
        403, "requiredAccessLevel", f"You need to have {level} access to this calendar."
    )


def unauthorized(missing=False):
    headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
    if missing:
        return ApiError(
            401,
            "required",
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
            location="Authorization",
            location_type="header",
            headers=headers,
        )
    return ApiError(
        401,
        "authError",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
        location="Authorization",
        location_type="header",
        headers=headers,
    )


def insufficient_scope():
    return ApiError(
        403, "insufficientPermissions", "Request had insufficient authentication scopes."
    )


def rate_limited(kind, retry_after=None):
    """kind: '429', '403_rate', '403_user_rate'."""
    headers = {}
    if retry_after is not None:
        headers["Retry-After"] = str(int(retry_after))
    if kind == "429":
        return ApiError(
            429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=headers
        )
    if kind == "403_user_rate":
        return ApiError(
            403,
            "userRateLimitExceeded",
            "User Rate Limit Exceeded",
            domain="usageLimits",
            headers=headers,
        )
    return ApiError(
        403, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits", headers=headers
    )


def server_error(code):
    if code == 503:
        return ApiError(503, "backendError", "The service is currently unavailable.")
    return ApiError(500, "backendError", "Backend Error")


def full_sync_required():
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
    )


def gone_deleted():
    return ApiError(410, "deleted", "Resource has been deleted")


def forbidden_for_non_organizer():
    """Google's answer when a guest changes what only the organizer may change."""
    return ApiError(
        403,
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
        domain="calendar",
    )
