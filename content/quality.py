"""Checks an editor runs on the shipped articles before a clinician reads them: how long a
page reads, which long runs of words one text shares with another, and whether every
reference is complete. `manage.py check_articles` prints them; the tests hold them."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Ten words in a row shared with another text is a copied sentence, not a shared phrase.
RUN_WORDS = 10
# A page (summary, takeaways, body and FAQ) should read in under seven minutes at an
# unhurried 200 words a minute; references and headings are not read through.
PAGE_WORDS_MAX = 1300
REFERENCE_REQUIRED = ("authors", "year", "title", "source")

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def shared_runs(text: str, other: str, size: int = RUN_WORDS) -> list[str]:
    """Each run of `size` or more words that both texts contain, longest form once."""
    mine, theirs = words(text), words(other)
    seen = {tuple(theirs[i : i + size]) for i in range(len(theirs) - size + 1)}
    runs: list[str] = []
    i = 0
    while i <= len(mine) - size:
        if tuple(mine[i : i + size]) in seen:
            end = i + size
            while end < len(mine) and tuple(mine[end - size + 1 : end + 1]) in seen:
                end += 1
            runs.append(" ".join(mine[i:end]))
            i = end
        else:
            i += 1
    return runs


def page_text(meta: dict, body: str) -> str:
    """What a reader reads through on the article page."""
    parts = [meta.get("summary", ""), *meta.get("takeaways", []), body]
    for item in meta.get("faq", []):
        parts += [item.get("question", ""), item.get("answer", "")]
    return "\n".join(parts)


def page_words(meta: dict, body: str) -> int:
    return len(words(page_text(meta, body)))


def reference_problems(reference: dict) -> list[str]:
    """What a reader would need to find the work and does not have."""
    problems = [f"no {name}" for name in REFERENCE_REQUIRED if not str(reference.get(name, ""))]
    year = str(reference.get("year", ""))
    if year and not re.fullmatch(r"(19|20)\d\d", year):
        problems.append(f"year {year!r} is not a year")
    doi = reference.get("doi", "")
    if doi and not re.fullmatch(r"10\.\d{4,9}/\S+", doi):
        problems.append(f"doi {doi!r} is not a DOI")
    return problems


@dataclass(frozen=True)
class Overlap:
    slug: str
    other: str
    runs: list[str]


def overlaps(texts: dict[str, str], against: dict[str, str] | None = None) -> Iterable[Overlap]:
    """Runs each text shares with the others (each pair once), or with `against` if given."""
    names = list(texts)
    for index, slug in enumerate(names):
        others = against if against is not None else {n: texts[n] for n in names[index + 1 :]}
        for other, text in others.items():
            runs = shared_runs(texts[slug], text)
            if runs:
                yield Overlap(slug, other, runs)


def _surname(authors: str) -> str:
    return authors.split(",")[0].strip()


_CITATION = re.compile(r"\(([A-Z][^()]*?\b(?:19|20)\d\d[a-z]?)\)")


def citation_problems(meta: dict, body: str, catalogue: dict[str, dict]) -> list[str]:
    """Each listed work must be cited in the text as surname then year ("Papp, Kouros &
    Cummings, 2009", "Feeney (2007) found"), and each bracketed citation must be listed."""
    text = page_text(meta, body)
    keys = [key for key in meta.get("references", []) if key in catalogue]
    problems = [f"{key} is listed twice" for key in set(keys) if keys.count(key) > 1]
    listed = set()
    for key in keys:
        name, year = _surname(catalogue[key]["authors"]), str(catalogue[key]["year"])
        listed.add((name, year))
        if not re.search(rf"{re.escape(name)}[^()]*?\(?{year}", text):
            problems.append(f"{key} is listed but the text never cites {name} ... {year}")
    for citation in _CITATION.findall(text):
        name = re.match(r"[A-Z][A-Za-z'-]+", citation).group(0)
        for year in re.findall(r"\b(?:19|20)\d\d\b", citation):
            if (name, year) not in listed:
                problems.append(f"({citation}) is cited but not listed")
    return problems
