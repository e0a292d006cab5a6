from django import template

from attune.devices import device_name as _device_name

register = template.Library()


@register.filter
def device_name(user_agent: str) -> str:
    """A user agent as the device a person would recognise (attune.devices)."""
    return _device_name(user_agent)
