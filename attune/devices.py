"""What a browser's user agent says about the device, in words a person recognises."""

from functools import lru_cache

from ua_parser import parse

UNKNOWN = "An unrecognised browser"


@lru_cache(maxsize=256)
def device_name(user_agent: str) -> str:
    """'Chrome Mobile on Android (Pixel 8)', 'Mobile Safari on iOS (iPhone)', or UNKNOWN.
    Coarse on purpose: enough to tell one's own phone from a laptop, nothing more."""
    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else None
    system = result.os.family if result.os else None
    device = result.device.family if result.device else None
    if not browser or browser == "Other":
        return UNKNOWN
    name = browser if not system or system == "Other" else f"{browser} on {system}"
    if device and device not in ("Other", "Generic Smartphone", "Mac", "K"):
        name = f"{name} ({device})"
    return name[:120]
