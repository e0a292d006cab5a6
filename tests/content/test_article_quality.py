"""What a clinical reviewer asked of the shipped articles (issue 19), held by tests: a safety
box on every article, complete references that the text actually cites, pages that read in
under seven minutes, and no sentence copied from another article or the brief."""

import json
import re
import tomllib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains

from content.models import Article, ArticleRevision
from content.quality import (
    PAGE_WORDS_MAX,
    citation_problems,
    overlaps,
    page_text,
    page_words,
    reference_problems,
)
from content.services import articles_load, parse_article_file, reference_catalogue
from tests.content.test_articles import admin_form
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ARTICLES = ROOT / "content" / "articles"
BRIEF = ROOT.parent / "shared" / "content-brief.md"
CATALOGUE = reference_catalogue(ARTICLES)
SHIPPED = {path.stem: parse_article_file(path) for path in sorted(ARTICLES.glob("*.md"))}

# Sentences the clinical review rejected, so they do not drift back in with a later edit.
REJECTED = [
    "American Psychological Association",  # a summary that could not be found
    "nothing to do with gender",
    "research does not support that",
    "Timing matters more than wording",  # the source's own words
    "A critique of polyvagal theory",  # not the critique's title
    "remembered vividly",  # no source carries it
    "It can change without you changing who you are",
    "Both moves are protective",
    "safety through connection",
    "safety through distance",
]


def test_every_article_page_has_the_safety_box_before_the_advice(client):
    call_command("load_articles")
    safety = reverse("safety")
    for slug in SHIPPED:
        html = client.get(reverse("content:article", args=[slug])).content.decode()
        box = re.search(r'<aside class="safety-box".*?</aside>', html, re.S)
        assert box, slug
        assert f'href="{safety}"' in box.group(0), slug
        assert "afraid of your partner" in box.group(0), slug
        assert html.index(box.group(0)) < html.index('<div class="article__body">'), slug


def test_every_catalogued_work_is_complete_and_cited_by_an_article():
    assert CATALOGUE
    for key, entry in CATALOGUE.items():
        assert reference_problems(entry) == [], key
    cited = {key for meta, _ in SHIPPED.values() for key in meta.get("references", [])}
    assert cited == set(CATALOGUE), "uncited: " + ", ".join(sorted(set(CATALOGUE) - cited))


@pytest.mark.parametrize("slug", sorted(SHIPPED))
def test_each_listed_work_is_cited_in_the_text_and_each_citation_listed(slug):
    meta, body = SHIPPED[slug]
    assert citation_problems(meta, body, CATALOGUE) == []


def test_the_citation_check_catches_an_uncited_work_and_an_unlisted_citation():
    meta = {"references": ["papp2009", "holley2010"], "summary": "", "takeaways": []}
    body = "Papp, Kouros and Cummings (2009) kept diaries. Others disagree (Christensen, 1990)."
    assert citation_problems(meta, body, CATALOGUE) == [
        "holley2010 is listed but the text never cites Holley ... 2010",
        "(Christensen, 1990) is cited but not listed",
    ]


@pytest.mark.parametrize("slug", sorted(SHIPPED))
def test_the_page_reads_in_under_seven_minutes(slug):
    meta, body = SHIPPED[slug]
    assert page_words(meta, body) <= PAGE_WORDS_MAX, slug
    assert PAGE_WORDS_MAX / 200 < 7


def test_no_article_repeats_ten_words_of_another():
    texts = {slug: page_text(meta, body) for slug, (meta, body) in SHIPPED.items()}
    assert [(o.slug, o.other, o.runs) for o in overlaps(texts)] == []


@pytest.mark.skipif(not BRIEF.exists(), reason="the content brief lives outside the repository")
def test_no_article_repeats_ten_words_of_the_brief():
    texts = {slug: page_text(meta, body) for slug, (meta, body) in SHIPPED.items()}
    found = overlaps(texts, {"brief": BRIEF.read_text()})
    assert [(o.slug, o.runs) for o in found] == []


def test_rejected_claims_stay_out():
    for slug, (meta, body) in SHIPPED.items():
        text = page_text(meta, body).lower()
        for phrase in REJECTED:
            assert phrase.lower() not in text, (slug, phrase)


def test_the_shared_run_check_finds_a_copied_sentence_and_ignores_shared_phrases():
    from content.quality import shared_runs

    source = "When your body is braced for danger, even careful phrasing tends to bounce off you."
    copied = "She said that even careful phrasing tends to bounce off you, when braced for danger."
    assert shared_runs(copied, source) == []  # nine words in a row at most
    longer = "Notice: when your body is braced for danger, even careful phrasing tends to fail."
    assert shared_runs(longer, source) == [
        "when your body is braced for danger even careful phrasing tends to"
    ]


def test_a_reference_without_a_title_or_year_is_refused():
    article = ArticleFactory.build(
        slug="refs", references=[{"authors": "Someone, A.", "source": "A Journal"}]
    )
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert error.value.message_dict["references"] == [
        "Reference 1: no year.",
        "Reference 1: no title.",
    ]
    article.references = [{**CATALOGUE["papp2009"], "year": "n.d."}]
    with pytest.raises(ValidationError, match="is not a year"):
        article.full_clean()
    article.references = [CATALOGUE["papp2009"]]
    article.full_clean()


def test_the_loader_names_a_citation_missing_from_the_catalogue(tmp_path):
    (tmp_path / "references.toml").write_text(
        '[known2020]\nauthors = "Known, K."\nyear = 2020\ntitle = "A title"\nsource = "J"\n'
    )
    front = '+++\ntitle = "T"\nslug = "t"\nsummary = "S"\nreferences = [{}]\n+++\n\n## A\n\nText.\n'
    (tmp_path / "t.md").write_text(front.format('"known2020", "ghost2021"'))
    with pytest.raises(ValidationError, match="t.md: no entry in references.toml for ghost2021"):
        articles_load(directory=tmp_path)
    assert not Article.objects.exists()

    (tmp_path / "t.md").write_text(front.format('"known2020"'))
    articles_load(directory=tmp_path)
    assert Article.objects.get().references[0]["title"] == "A title"
    # Correcting a work in the catalogue updates every article that cites it.
    catalogue = (tmp_path / "references.toml").read_text()
    (tmp_path / "references.toml").write_text(catalogue.replace("A title", "The right title"))
    assert articles_load(directory=tmp_path).updated == ["t"]
    assert Article.objects.get().references[0]["title"] == "The right title"


def test_a_reference_renders_with_its_source_and_doi_link(client):
    ArticleFactory(slug="cited", references=[CATALOGUE["papp2009"], CATALOGUE["johnson2008"]])
    page = client.get(reverse("content:article", args=["cited"]))
    assertContains(
        page,
        "Papp, L. M., Kouros, C. D., &amp; Cummings, E. M. (2009). Demand-withdraw patterns in "
        "marital conflict in the home. <cite>Personal Relationships</cite>, 16(2), 285–300. "
        '<a href="https://doi.org/10.1111/j.1475-6811.2009.01223.x" rel="noopener noreferrer">',
    )
    assertContains(
        page,
        "Johnson, S. (2008). <cite>Hold me tight: Seven conversations for a lifetime of love"
        "</cite>. Little, Brown.",
    )


def test_the_admin_says_what_a_reference_lacks_and_keeps_the_article(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(slug="in-admin", title="Before")
    client.force_login(editor)
    url = reverse("admin:content_article_change", args=[article.pk])
    form = admin_form(references=json.dumps([{"authors": "Someone, A.", "source": "A Journal"}]))
    response = client.post(url, form)
    assert response.status_code == 200
    assertContains(response, "Reference 1: no year.")
    article.refresh_from_db()
    assert article.title == "Before"


def test_restoring_a_version_from_before_complete_references_is_refused_politely(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    article = ArticleFactory(slug="old", title="Now")
    old = ArticleRevision.objects.create(
        article=article,
        data={"title": "Then", "references": [{"text": "Old style (2020).", "url": ""}]},
    )
    client.force_login(editor)
    changelist = reverse("admin:content_articlerevision_changelist")
    response = client.post(
        changelist, {"action": "restore", "_selected_action": [old.pk]}, follow=True
    )
    assertContains(response, "This version can&#x27;t be restored as it is")
    article.refresh_from_db()
    assert article.title == "Now"


def test_the_home_page_describes_the_states_in_the_words_the_check_in_uses(client):
    from checkins.models import state_meanings

    page = client.get(reverse("home"))
    for state in state_meanings():
        assertContains(page, state["description"])
    assert "numb" not in state_meanings()[2]["description"]


def test_the_front_matter_is_valid_toml_everywhere():
    for path in ARTICLES.glob("*.md"):
        _, front, _ = path.read_text().split("+++", 2)
        tomllib.loads(front)
