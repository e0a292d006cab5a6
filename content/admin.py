from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from content.models import Article, ArticleRevision, Topic
from content.services import article_restore, article_revision_add


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    fields = ["saved_at", "saved_by"]
    readonly_fields = ["saved_at", "saved_by"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Editors write here. "View on site" is the preview: drafts and scheduled articles
    render for editors exactly as readers will see them."""

    list_display = ["title", "status", "publish_at", "reviewer", "updated_at"]
    list_filter = ["status", "topics"]
    search_fields = ["title", "summary", "body"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics", "related"]
    readonly_fields = ["created_at", "updated_at", "loaded_at"]
    inlines = [RevisionInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body", "topics"]}),
        ("Around the text", {"fields": ["takeaways", "faq", "references", "related"]}),
        ("Authors", {"fields": ["author", "reviewer", "reviewed_on"]}),
        (
            "Publishing",
            {"fields": ["status", "publish_at", "created_at", "updated_at", "loaded_at"]},
        ),
    ]

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        from django.utils import timezone

        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        article_revision_add(article=form.instance, saved_by=request.user.get_username())


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "article", "saved_at", "saved_by"]
    list_filter = ["article"]
    readonly_fields = ["article", "saved_at", "saved_by", "data"]
    actions = ["restore"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Restore this version")
    def restore(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version.", messages.ERROR)
            return
        try:
            article = article_restore(
                revision=queryset.get(), restored_by=request.user.get_username()
            )
        except ValidationError as error:
            # An old version may predate a rule the article must now meet (complete
            # references, say): nothing is changed, and the editor is told what is missing.
            self.message_user(
                request,
                "This version can't be restored as it is: " + " ".join(error.messages),
                messages.ERROR,
            )
            return
        self.message_user(request, f"Restored “{article.title}”.", messages.SUCCESS)
