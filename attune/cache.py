"""The per-process cache of rendered fragments (timeline entries, the check-in form's fields).

Django's cache backends check every key, character by character, for what memcached would
refuse (`BaseCache.validate_key`); a timeline page looks up twenty entries at once, and the
check cost more than the lookups (110 against 45 microseconds for twenty, see README's
Benchmarks). This cache lives in the process and only ever holds keys Attune makes (an md5
digest after a fixed prefix, and the `{% cache %}` tag's own), so it skips the check, as
Django's documentation suggests for a backend that accepts any key.
"""

from django.core.cache.backends.locmem import LocMemCache


class FragmentCache(LocMemCache):
    def validate_key(self, key: str) -> None:
        """Every key is one of ours; memcached's limits do not apply in the process."""
