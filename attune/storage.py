"""Static files as whitenoise serves them in production, with each file's URL worked out once
per process: `{% static %}` looked the hashed name up and joined it to the base URL every
time, about 20 microseconds for each of the five on every page (see README's Benchmarks). The
manifest does not change while a process runs, so neither does a URL."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str, force: bool = False) -> str:
        if force:
            return super().url(name, force=True)
        found = self._urls.get(name)
        if found is None:
            found = self._urls[name] = super().url(name)
        return found
